/**
 * Gathers what the current phase of a window needs to decide its next step, and nothing more:
 * Idle looks at the clock and the gc-now annotation, WaitingForRetention at RetentionPolicies
 * and the lock, the read-only phases at the replicas, Collecting at the Job.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { RetentionPolicy } from '../../api/retention-policy.js';
import type { JobObservation, ReplicaCheck, WindowObservation } from '../../gc/window-decision.js';
import { decideWindowTrigger, GC_NOW_ANNOTATION } from '../../gc/window-schedule.js';
import type { ReconcileContext } from '../../runtime/controller.js';
import { apiErrorStatus } from '../../runtime/kube-client.js';
import { readNamedSecrets } from '../../runtime/named-secrets.js';
import { collectionPath, RESOURCES } from '../../runtime/resources.js';
import { CONDITION_RUNNING } from '../../api/retention-policy-conditions.js';
import type { RegistryMaintenanceLocks } from '../../managed-registry/maintenance-locks.js';
import { PASSWORD_KEY, registryCaOf, secretValue, USERNAME_KEY } from '../../managed-registry/credentials.js';
import type { JobOutputReader, RegistryObject, ReplicaResolver } from './cluster-reads.js';
import { checkReplicaWrites, type ProbeAccess, type WriteExpectation } from './write-probe.js';

export interface ObserveDeps {
  locks: RegistryMaintenanceLocks;
  resolveReplicas: ReplicaResolver;
  readJobOutput: JobOutputReader;
}

export function scheduleOf(registry: RegistryObject, now: Date): WindowObservation['schedule'] {
  const gc = registry.spec?.garbageCollection;
  if (!gc) return {};
  const created = registry.metadata?.creationTimestamp;
  const lastStart = registry.status?.lastGarbageCollection?.startTime;
  const gcNow = registry.metadata?.annotations?.[GC_NOW_ANNOTATION];
  return decideWindowTrigger({
    schedule: gc.schedule,
    timeZone: gc.timeZone ?? 'UTC',
    suspend: gc.suspend ?? false,
    ...(created ? { createdAt: new Date(created) } : {}),
    ...(lastStart ? { lastWindowStart: new Date(lastStart) } : {}),
    ...(gcNow !== undefined ? { gcNow } : {}),
    ...(registry.status?.handledGcNow !== undefined ? { handledGcNow: registry.status.handledGcNow } : {}),
    now,
  });
}

export async function observeWindow(registry: RegistryObject, ctx: ReconcileContext, deps: ObserveDeps, now: Date): Promise<WindowObservation> {
  const key = `${registry.metadata?.namespace}/${registry.metadata?.name}`;
  switch (registry.status?.garbageCollectionWindow?.phase ?? 'Idle') {
    case 'Idle':
      return { schedule: scheduleOf(registry, now) };
    case 'WaitingForRetention': {
      const blocker = await retentionBlocker(registry, ctx, deps.locks, key);
      return blocker ? { retentionBlocker: blocker } : {};
    }
    case 'EnteringReadOnly':
      // A restarted operator holds no lock yet: take it again (retention backs off from the phase anyway).
      deps.locks.tryAcquireGarbageCollection(key);
      return { replicas: await checkReplicas(registry, ctx, deps, 'refused') };
    case 'Collecting':
      deps.locks.tryAcquireGarbageCollection(key);
      return { job: await observeJob(registry, ctx, deps) };
    default:
      deps.locks.tryAcquireGarbageCollection(key);
      return { replicas: await checkReplicas(registry, ctx, deps, 'accepted'), job: await observeJob(registry, ctx, deps) };
  }
}

/**
 * The two-flag protocol of src/controllers/registry-maintenance.ts from the window's side: the
 * window's phase is already written (non-Idle), so a run starting now backs off; a run already
 * marked Running=True is waited for. Policies are listed live: a cache could miss a mark made a
 * moment ago.
 */
async function retentionBlocker(registry: RegistryObject, ctx: ReconcileContext, locks: RegistryMaintenanceLocks, key: string): Promise<string | undefined> {
  const namespace = registry.metadata?.namespace ?? '';
  let policies: RetentionPolicy[] = [];
  try {
    policies = (await ctx.kube.requestJson<{ items: RetentionPolicy[] }>('GET', collectionPath(RESOURCES.retentionPolicy, namespace))).items;
  } catch (error) {
    // No RetentionPolicy CRD installed: nothing can be running.
    if (apiErrorStatus(error) !== 404) throw error;
  }
  const running = policies.filter(
    (p) => p.spec?.registryRef?.name === registry.metadata?.name && p.status?.conditions?.some((c) => c.type === CONDITION_RUNNING && c.status === 'True'),
  );
  if (running.length > 0) {
    // Holding the lock while waiting could keep a stale Running=True from being cleared.
    locks.releaseGarbageCollection(key);
    return `RetentionPolicy ${running.map((p) => p.metadata?.name).join(', ')} (${CONDITION_RUNNING}=True)`;
  }
  if (!locks.tryAcquireGarbageCollection(key)) {
    const holder = locks.holderOf(key);
    return `the retention run of RetentionPolicy ${holder?.kind === 'retention' ? holder.policy : 'unknown'}`;
  }
  return undefined;
}


/** Login and CA for the probe, from the same Secrets RetentionPolicies use. */
async function probeAccess(registry: RegistryObject, ctx: ReconcileContext): Promise<ProbeAccess | { problem: string }> {
  const htpasswd = registry.spec.auth?.htpasswdSecret;
  const tls = registry.spec.tls?.secretName;
  const secretOf = await readNamedSecrets(ctx.kube, registry.metadata?.namespace ?? '', [htpasswd ?? '', tls ?? '']);
  const access: ProbeAccess = {};
  if (htpasswd) {
    const secret = secretOf(htpasswd);
    const username = secret && secretValue(secret, USERNAME_KEY);
    const password = secret && secretValue(secret, PASSWORD_KEY);
    if (!username || password === undefined) {
      return { problem: `Secret ${htpasswd} needs ${USERNAME_KEY} and ${PASSWORD_KEY} keys so the operator can check writes are refused` };
    }
    access.credentials = { username, password };
  }
  if (tls) {
    const secret = secretOf(tls);
    const caPem = secret && registryCaOf(secret);
    if (caPem) access.caPem = caPem;
  }
  return access;
}

async function checkReplicas(registry: RegistryObject, ctx: ReconcileContext, deps: ObserveDeps, expectation: WriteExpectation): Promise<ReplicaCheck> {
  const targets = await deps.resolveReplicas(registry, ctx);
  if ('pending' in targets) return { verified: false, reason: targets.pending };
  const access = await probeAccess(registry, ctx);
  if ('problem' in access) return { verified: false, reason: access.problem };
  return checkReplicaWrites(targets.urls, expectation, access);
}

async function observeJob(registry: RegistryObject, ctx: ReconcileContext, deps: ObserveDeps): Promise<JobObservation> {
  const jobName = registry.status?.garbageCollectionWindow?.jobName;
  if (!jobName) return { state: 'Missing' };
  const job = ctx.cache<V1Job>(RESOURCES.job).get(registry.metadata?.namespace, jobName);
  if (!job) return { state: 'Missing' };
  const condition = (type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const failed = condition('Failed');
  if (condition('Complete')) {
    const output = await deps.readJobOutput(job, ctx);
    return { state: 'Succeeded', ...(output !== undefined ? { output } : {}) };
  }
  if (failed) {
    const output = await deps.readJobOutput(job, ctx);
    return { state: 'Failed', reason: [failed.reason, failed.message].filter(Boolean).join(': ') || 'Failed', ...(output !== undefined ? { output } : {}) };
  }
  return { state: 'Running' };
}
