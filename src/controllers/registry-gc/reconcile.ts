/**
 * The adapter around decideWindowStep: read the Registry, observe what its phase needs, decide,
 * then carry out the one step (status first when it moves the window forward; the Job deleted
 * first when the window rolls back, so nothing but the registry writes once it is read-write).
 */
import type { V1Deployment, V1Job } from '@kubernetes/client-node';
import { buildGarbageCollectJob, gcJobLabels } from '../../managed-registry/gc-job.js';
import { registryChildNames } from '../../managed-registry/children.js';
import { imageOfDeployment, registryImageOf } from '../../managed-registry/registry-image.js';
import { decideWindowStep, type WindowStep, type WindowTiming } from '../../gc/window-decision.js';
import { GC_NOW_ANNOTATION } from '../../gc/window-schedule.js';
import type { ReconcileContext, ReconcileOutcome, ReconcileRequest } from '../../runtime/controller.js';
import { apiErrorStatus, getOrUndefined } from '../../runtime/kube-client.js';
import { isControlledBy, NameConflictError } from '../../runtime/ownership.js';
import { formatLabelSelector } from '../../runtime/label-selector.js';
import { collectionPath, objectPath, RESOURCES } from '../../runtime/resources.js';
import type { RegistryMaintenanceLocks } from '../../managed-registry/maintenance-locks.js';
import { registryPodNode, type JobOutputReader, type RegistryObject, type ReplicaResolver } from './cluster-reads.js';
import type { GarbageCollectionMetrics } from './metrics.js';
import { observeWindow, scheduleOf } from './observe.js';
import { gcStatusPatch } from './status-patch.js';

export interface GcReconcilerOptions {
  locks: RegistryMaintenanceLocks;
  resolveReplicas: ReplicaResolver;
  readJobOutput: JobOutputReader;
  metrics: GarbageCollectionMetrics;
  timing: WindowTiming;
}

/** A step that should follow at once still waits this long, so the status write reaches the caches. */
const MIN_REQUEUE_MS = 200;

export async function reconcileGarbageCollection(request: ReconcileRequest, ctx: ReconcileContext, options: GcReconcilerOptions): Promise<ReconcileOutcome> {
  const cached = ctx.cache<RegistryObject>(RESOURCES.registry).get(request.namespace, request.name);
  if (!cached || cached.metadata?.deletionTimestamp) {
    options.locks.releaseGarbageCollection(request.key);
    options.metrics.forget(request.key);
    return {};
  }
  const now = new Date(ctx.clock.now());
  const cachedPhase = cached.status?.garbageCollectionWindow?.phase ?? 'Idle';
  if (cachedPhase === 'Idle') {
    const idle = decideWindowStep(cached, { schedule: scheduleOf(cached, now) }, now, options.timing);
    // The common case (nothing due) is decided on the cache alone; anything else on the live object.
    if (idle.action === 'stay-idle') return carryOut(cached, idle, ctx, options, nextWindowOf(cached, now));
  }
  const live = await readLiveRegistry(ctx, request);
  if (!live) return {};
  const observed = await observeWindow(live, ctx, options, now);
  const step = decideWindowStep(live, observed, now, options.timing);
  return carryOut(live, step, ctx, options, observed.schedule ? nextWindowOf(live, now) : undefined);
}

function nextWindowOf(registry: RegistryObject, now: Date): string | null {
  const next = scheduleOf(registry, now)?.nextWindow;
  return next ? next.toISOString() : null;
}

async function readLiveRegistry(ctx: ReconcileContext, request: ReconcileRequest): Promise<RegistryObject | undefined> {
  return getOrUndefined(() => ctx.kube.requestJson<RegistryObject>('GET', objectPath(RESOURCES.registry, request.namespace, request.name)));
}

async function carryOut(
  registry: RegistryObject,
  step: WindowStep,
  ctx: ReconcileContext,
  options: GcReconcilerOptions,
  nextGarbageCollection: string | null | undefined,
): Promise<ReconcileOutcome> {
  const namespace = registry.metadata?.namespace ?? '';
  const name = registry.metadata?.name ?? '';
  const key = `${namespace}/${name}`;
  const registryUid = registry.metadata?.uid ?? '';
  if ('deleteJob' in step && step.deleteJob) await deleteJob(ctx, namespace, step.deleteJob, registryUid);
  if (step.action === 'create-job') await createJob(registry, step, ctx);
  if (step.action === 'open-window') await deleteEarlierJobs(ctx, registry);

  const patch = gcStatusPatch(registry.status, {
    ...(step.window ? { window: step.window } : {}),
    ...(step.last ? { last: step.last } : {}),
    ...(nextGarbageCollection !== undefined && (registry.spec.garbageCollection || registry.status?.nextGarbageCollection) ? { nextGarbageCollection } : {}),
    // The run-now protocol (api/run-schedule.ts): the value acted on goes into status, in the
    // same write that opens the window; the user's annotation stays where GitOps put it.
    ...(step.action === 'open-window' && step.trigger === 'GcNow' && gcNowValue(registry) !== undefined ? { handledGcNow: gcNowValue(registry)! } : {}),
  });
  if (patch) {
    await ctx.kube.requestJson('PATCH', objectPath(RESOURCES.registry, namespace, name, 'status'), {
      body: { status: patch },
      contentType: 'application/merge-patch+json',
    });
    ctx.log.info({ action: step.action, phase: step.window?.phase, result: step.last?.result }, 'Updated garbage-collection window');
  }
  if (step.action === 'close' || step.action === 'stay-idle') options.locks.releaseGarbageCollection(key);
  if (step.action === 'close' && step.last) options.metrics.observeClosedWindow(key, step.last);
  options.metrics.observeWindow(key, step.window ?? registry.status?.garbageCollectionWindow);
  if (step.event) ctx.events.record(registry, step.event.type, step.event.reason, step.event.message);
  return step.requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(MIN_REQUEUE_MS, step.requeueAfterMs) } : {};
}

/** The image the registry's Deployment runs (what wrote the storage), else the one its status names. */
function runningImage(registry: RegistryObject, ctx: ReconcileContext): string {
  const deployment = ctx.cache<V1Deployment>(RESOURCES.deployment).get(registry.metadata?.namespace, registryChildNames(registry.metadata?.name ?? '').deployment);
  return imageOfDeployment(deployment) ?? registryImageOf(registry);
}

async function createJob(registry: RegistryObject, step: Extract<WindowStep, { action: 'create-job' }>, ctx: ReconcileContext): Promise<void> {
  const namespace = registry.metadata?.namespace ?? '';
  const owner = { name: registry.metadata?.name ?? '', namespace, uid: registry.metadata?.uid ?? '' };
  const nodeName = registry.spec.storage.pvc ? await registryPodNode(registry, ctx) : undefined;
  const job: V1Job = buildGarbageCollectJob({
    owner,
    spec: { ...registry.spec, replicas: registry.spec.replicas ?? 1, image: runningImage(registry, ctx) },
    jobName: step.jobName,
    deleteUntagged: step.deleteUntagged,
    activeDeadlineSeconds: step.activeDeadlineSeconds,
    ...(nodeName ? { nodeName } : {}),
  });
  try {
    await ctx.kube.requestJson('POST', collectionPath(RESOURCES.job, namespace), { body: job });
    ctx.log.info({ job: step.jobName, nodeName, deleteUntagged: step.deleteUntagged }, 'Created garbage-collect Job');
  } catch (error) {
    // Same window, same name: a Job created before a restart (or not yet in the cache) is the one
    // we want, if this Registry controls it; a Job of that name someone else made is never used.
    if (apiErrorStatus(error) !== 409) throw error;
    const existing = await getOrUndefined(() => ctx.kube.requestJson<V1Job>('GET', objectPath(RESOURCES.job, namespace, step.jobName)));
    if (existing && !isControlledBy(existing, owner.uid)) throw new NameConflictError('Job', namespace, step.jobName, existing);
  }
}

/** Deletes a GC Job only if this Registry controls it, with its UID as a precondition. */
async function deleteJob(ctx: ReconcileContext, namespace: string, jobName: string, registryUid: string): Promise<void> {
  const job = await getOrUndefined(() => ctx.kube.requestJson<V1Job>('GET', objectPath(RESOURCES.job, namespace, jobName)));
  if (!job || !isControlledBy(job, registryUid)) return;
  try {
    // Background: the Job goes now and its pod after it; Foreground would wait on a finalizer.
    await ctx.kube.requestJson('DELETE', objectPath(RESOURCES.job, namespace, jobName), {
      body: { propagationPolicy: 'Background', preconditions: { uid: job.metadata?.uid } },
    });
    ctx.log.info({ job: jobName }, 'Deleted garbage-collect Job');
  } catch (error) {
    const status = apiErrorStatus(error);
    if (status !== 404 && status !== 409) throw error;
  }
}


/** The previous window's Job is kept for `kubectl logs` until the next window opens. */
async function deleteEarlierJobs(ctx: ReconcileContext, registry: RegistryObject): Promise<void> {
  const namespace = registry.metadata?.namespace ?? '';
  const labels = gcJobLabels(registry.metadata?.name ?? '');
  for (const job of ctx.cache<V1Job>(RESOURCES.job).list(namespace, formatLabelSelector(labels))) {
    if (job.metadata?.name) await deleteJob(ctx, namespace, job.metadata.name, registry.metadata?.uid ?? '');
  }
}

function gcNowValue(registry: RegistryObject): string | undefined {
  return registry.metadata?.annotations?.[GC_NOW_ANNOTATION];
}
