/**
 * The level-based reconcile of a RetentionPolicy: read it and what it references, decide from
 * its schedule and run-now annotation whether a run is due, run under the registry's maintenance
 * lock, and write only the status fields that changed. A run is destructive, so whether it is due
 * is decided again on the live object (one GET), never on a cache that may predate our last write.
 */
import { readPullRecords } from '../../pull-tracking/store.js';
import type { KubernetesObject } from '@kubernetes/client-node';
import { readNamedSecrets } from '../../runtime/named-secrets.js';
import type { Registry } from '../../api/registry.js';
import { retentionPolicySpecSchema, type RetentionPolicy, type RetentionPolicySpec } from '../../api/retention-policy.js';
import { describeSpecIssues } from '../../api/schema-parse.js';
import type { Clock } from '../../runtime/clock.js';
import type { ReconcileContext, ReconcileOutcome, ReconcileRequest } from '../../runtime/controller.js';
import { getOrUndefined, type KubeClients } from '../../runtime/kube-client.js';
import { objectPath, RESOURCES } from '../../runtime/resources.js';
import type { RegistryMaintenanceLocks } from '../../managed-registry/maintenance-locks.js';
import * as C from '../../api/retention-policy-conditions.js';
import { blockingWindowPhase, runUnderMaintenanceLock, waitingForWindowMessage, type GuardedRunResult } from './maintenance-gate.js';
import type { RetentionMetrics } from './metrics.js';
import type { ReferenceIndex } from '../../runtime/reference-index.js';
import type { AddressPolicy } from '../../registry/client/index.js';
import type { TagBudget } from '../../retention/tag-budget.js';
import { runTotals } from '../../retention/report.js';
import { policyReferences, resolveRegistryAccess, type AccessResult } from './registry-access.js';
import { executeRetentionRun, type RetentionRunner } from './run-execution.js';
import type { InUseCollection } from '../../retention/in-use-collector.js';
import { boundedPlanSummary, lastRunFromReport, runEvent } from './run-summary.js';
import { decideScheduledRun, MAX_REQUEUE_MS, nextTick, RUN_NOW_ANNOTATION, type ScheduleDecision, type ScheduleTrigger } from '../../api/run-schedule.js';
import type { ConditionInput } from '../../runtime/conditions.js';
import { desiredStatus, findCondition, statusPatch, type DesiredStatusInput } from './status.js';

export type PolicyObject = RetentionPolicy & KubernetesObject;

/**
 * The URL to reach a managed Registry at, given its in-cluster Service URL; undefined when it
 * cannot be reached yet. Default: the Service URL. Tests running registries on loopback pass one
 * that reads where the stand-in kubelet put them.
 */
export type RegistryUrlResolver = (registry: Registry, serviceUrl: string, ctx: ReconcileContext) => Promise<string | undefined> | string | undefined;

export interface RetentionPolicyReconcilerOptions {
  locks: RegistryMaintenanceLocks;
  runRetention: RetentionRunner;
  resolveRegistry: RegistryUrlResolver;
  metrics: RetentionMetrics;
  /** Which policies read which Registry, so its events find the policies. */
  references: { registries: ReferenceIndex };
  clock?: Clock;
  /** How soon to look again while a window or another run blocks a due run (Registry events also wake us). */
  blockedRetryMs?: number;
  /** Where runs against spec.external may connect (the admin's externalRegistries). */
  addressPolicy?: AddressPolicy;
  /** The tags all runs may hold in memory at once (retention.maxTagsInMemory). */
  tagBudget?: TagBudget;
  /** Reads what the cluster runs with the reconcile's client (in-use-collector.ts). */
  collectInUse: (kube: KubeClients, signal?: AbortSignal) => Promise<InUseCollection>;
}

const DEFAULT_BLOCKED_RETRY_MS = 15_000;
const SECRET_REASONS: ReadonlySet<string> = new Set([C.REASON_SECRET_MISSING, C.REASON_SECRET_KEY_MISSING]);

interface PolicyView {
  spec?: RetentionPolicySpec;
  problem?: { reason: string; message: string };
  access?: AccessResult;
  decision: ScheduleDecision;
}

async function evaluate(policy: PolicyObject, namespace: string, ctx: ReconcileContext, options: RetentionPolicyReconcilerOptions, now: Date): Promise<PolicyView> {
  const parsed = retentionPolicySpecSchema.safeParse(policy.spec);
  if (!parsed.success) {
    return { problem: { reason: C.REASON_SPEC_INVALID, message: `${describeSpecIssues(parsed.error)}. Fix the spec.` }, decision: {} };
  }
  const spec = parsed.data;
  const registry = (name: string) => ctx.cache<Registry & KubernetesObject>(RESOURCES.registry).get(namespace, name);
  const policyKey = `${namespace}/${policy.metadata?.name ?? ''}`;
  const references = policyReferences(spec, { registry });
  options.references.registries.set(policyKey, references.registryName ? [references.registryName] : []);
  const lookups = { registry, secret: await readNamedSecrets(ctx.kube, namespace, references.secretNames) };
  const access = resolveRegistryAccess(namespace, spec, lookups);
  return { spec, access, decision: scheduleDecision(policy, spec, now) };
}

/** Whether a run is due (schedule or run-now) on this object: pure, no Secret read. */
function scheduleDecision(policy: PolicyObject, spec: RetentionPolicySpec, now: Date): ScheduleDecision {
  const created = policy.metadata?.creationTimestamp;
  const lastStart = policy.status?.lastRun?.startTime;
  const runNow = policy.metadata?.annotations?.[RUN_NOW_ANNOTATION];
  return decideScheduledRun({
    schedule: spec.schedule,
    timeZone: spec.timeZone,
    suspend: spec.suspend,
    ...(created ? { createdAt: new Date(created) } : {}),
    ...(lastStart ? { lastRunStart: new Date(lastStart) } : {}),
    ...(runNow !== undefined ? { runNow } : {}),
    ...(policy.status?.handledRunNow !== undefined ? { handledRunNow: policy.status.handledRunNow } : {}),
    now,
  });
}

/** A run may be due on the cached object: then the decision is taken again on the live one. */
function mayBeDue(policy: PolicyObject, now: Date): boolean {
  const parsed = retentionPolicySpecSchema.safeParse(policy.spec);
  return parsed.success && scheduleDecision(policy, parsed.data, now).trigger !== undefined;
}

const isRunningInStatus = (policy: PolicyObject): boolean => findCondition(policy.status, C.CONDITION_RUNNING)?.status === 'True';

function readyCondition(view: PolicyView): ConditionInput {
  const problem = view.problem ?? (view.access && !view.access.ok ? view.access.problem : undefined);
  if (problem) return { type: C.CONDITION_READY, status: 'False', ...problem };
  const access = view.access?.ok ? view.access.access : undefined;
  const target = access?.registry ? `Registry ${access.registry.metadata?.name}` : access?.url;
  return { type: C.CONDITION_READY, status: 'True', reason: C.REASON_CONFIGURED, message: `${target} and its credentials are resolved.` };
}

function idleCondition(policy: PolicyObject, wasRunning: boolean): ConditionInput {
  const previous = findCondition(policy.status, C.CONDITION_RUNNING);
  if (wasRunning || (previous?.status === 'False' && previous.reason === C.REASON_INTERRUPTED)) {
    return {
      type: C.CONDITION_RUNNING, status: 'False', reason: C.REASON_INTERRUPTED,
      message: 'A run was interrupted (the operator stopped during it); runs are not resumable, the next run starts over and converges.',
    };
  }
  return { type: C.CONDITION_RUNNING, status: 'False', reason: C.REASON_IDLE, message: 'No run in progress.' };
}

async function readLivePolicy(ctx: ReconcileContext, request: ReconcileRequest): Promise<PolicyObject | undefined> {
  return getOrUndefined(() => ctx.kube.requestJson<PolicyObject>('GET', objectPath(RESOURCES.retentionPolicy, request.namespace, request.name)));
}

async function writeStatus(ctx: ReconcileContext, request: ReconcileRequest, policy: PolicyObject, next: NonNullable<PolicyObject['status']>): Promise<PolicyObject> {
  const body = statusPatch(policy.status, next);
  if (!body) return policy;
  const updated = await ctx.kube.requestJson<PolicyObject>('PATCH', objectPath(RESOURCES.retentionPolicy, request.namespace, request.name, 'status'), {
    body,
    contentType: 'application/merge-patch+json',
  });
  ctx.log.debug({ fields: Object.keys(body.status) }, 'Updated retention policy status');
  return updated;
}

export async function reconcileRetentionPolicy(request: ReconcileRequest, ctx: ReconcileContext, options: RetentionPolicyReconcilerOptions): Promise<ReconcileOutcome> {
  const policy = ctx.cache<PolicyObject>(RESOURCES.retentionPolicy).get(request.namespace, request.name);
  if (!policy || policy.metadata?.deletionTimestamp) {
    if (!policy) options.references.registries.delete(request.key);
    return {};
  }
  // A run queued or running for this policy reports when it settles (its key comes back then).
  if (ctx.background?.isActive(request.key)) return {};
  const prepared = await prepareRun(request, ctx, options, policy);
  if ('outcome' in prepared) return prepared.outcome;
  if (!ctx.background) return runAndRecord(prepared.run);
  // The run goes to a slot, off the reconcile workers: a slow registry holds a slot, never a
  // worker, and slots are shared fairly between namespaces (runtime/background-work.ts). A run
  // that waited in the queue decides again from the live object: minutes may have passed.
  const background = ctx.background;
  const submitted = background.submit(request.key, request.namespace, async (signal, waited) => {
    const ready = waited ? await prepareRun(request, ctx, options) : prepared;
    return 'outcome' in ready ? ready.outcome : runAndRecord({ ...ready.run, signal });
  });
  if (submitted.accepted && !submitted.started) {
    const { running, queued } = background.counts();
    await prepared.run.writeRunning({
      type: C.CONDITION_RUNNING, status: 'False', reason: C.REASON_QUEUED,
      message: `Due, and waiting for a run slot: ${running} runs in progress, ${queued} waiting (slots are shared fairly between namespaces; the admin sets retention.maxConcurrentRuns).`,
    });
  }
  return {};
}

/**
 * Everything before a run: read the policy (live when a run may be due), decide, and write the
 * status of every case that does not run (idle, waiting for a window, no address). Returns the
 * run's context when one is due now.
 */
async function prepareRun(
  request: ReconcileRequest,
  ctx: ReconcileContext,
  options: RetentionPolicyReconcilerOptions,
  cached?: PolicyObject,
): Promise<{ outcome: ReconcileOutcome } | { run: RunContext }> {
  const clock = options.clock ?? ctx.clock;
  const now = (): Date => new Date(clock.now());
  let policy = cached ?? (await readLivePolicy(ctx, request));
  if (!policy || policy.metadata?.deletionTimestamp) return { outcome: {} };
  // A run is destructive: when the cache says one may be due (or left Running=True), decide on
  // the live object instead, and read its Secrets once, for the object decided on.
  if (cached && (mayBeDue(cached, now()) || isRunningInStatus(cached))) {
    const live = await readLivePolicy(ctx, request);
    if (!live) return { outcome: {} };
    policy = live;
  }
  const view = await evaluate(policy, request.namespace, ctx, options, now());
  // Runs are never two on one key, and none is active here, so Running=True seen now was left
  // by a process that died during its run.
  const wasRunning = isRunningInStatus(policy);
  if (wasRunning) {
    ctx.log.warn({}, 'Found Running=True from an interrupted run; clearing it');
    ctx.events.record(policy, 'Warning', C.REASON_INTERRUPTED, 'A retention run was interrupted by an operator restart; the next run starts over.');
  }
  const ready = readyCondition(view);
  const trigger = view.decision.trigger;
  const access = view.access?.ok ? view.access.access : undefined;
  const current = policy;
  const writeRunning = async (running: ConditionInput, nextRun = view.decision.nextRun): Promise<void> => {
    await writeStatus(ctx, request, current, desiredStatus({ metadata: current.metadata ?? {}, current: current.status, conditions: [ready, running], nextRun, now: now() }));
  };

  const blockedRetryMs = options.blockedRetryMs ?? DEFAULT_BLOCKED_RETRY_MS;
  if (!trigger || !access || !view.spec) {
    await writeRunning(idleCondition(policy, wasRunning));
    // Secrets are not watched: one that is missing (or lacks a key) is looked for again soon.
    const secretRetry = view.access?.ok === false && SECRET_REASONS.has(view.access.problem.reason) ? blockedRetryMs : undefined;
    const requeueAfterMs = Math.min(view.decision.requeueAfterMs ?? Infinity, secretRetry ?? Infinity);
    return { outcome: Number.isFinite(requeueAfterMs) ? { requeueAfterMs } : {} };
  }
  const cachedPhase = blockingWindowPhase(access.registry);
  if (cachedPhase) {
    await writeRunning({ type: C.CONDITION_RUNNING, status: 'False', reason: C.REASON_WAITING_FOR_GC, message: waitingForWindowMessage(cachedPhase) });
    return { outcome: { requeueAfterMs: blockedRetryMs } };
  }
  const url = access.registry ? await options.resolveRegistry(access.registry, access.url, ctx) : access.url;
  if (!url) {
    const unresolved: ConditionInput = {
      type: C.CONDITION_READY, status: 'False', reason: C.REASON_REGISTRY_UNRESOLVED,
      message: `No address to reach Registry ${access.registry?.metadata?.name} yet; it is probably not deployed or not ready.`,
    };
    await writeStatus(ctx, request, policy, desiredStatus({ metadata: policy.metadata ?? {}, current: policy.status, conditions: [unresolved, idleCondition(policy, wasRunning)], nextRun: view.decision.nextRun, now: now() }));
    return { outcome: { requeueAfterMs: blockedRetryMs } };
  }
  return { run: { request, ctx, options, policy, spec: view.spec, access, url, trigger, dueTick: view.decision.nextRun, ready, now, writeRunning } };
}

interface RunContext {
  request: ReconcileRequest;
  ctx: ReconcileContext;
  options: RetentionPolicyReconcilerOptions;
  policy: PolicyObject;
  spec: RetentionPolicySpec;
  access: NonNullable<Extract<AccessResult, { ok: true }>['access']>;
  url: string;
  trigger: ScheduleTrigger;
  /** The tick that made the run due (undefined for run-now without schedule). */
  dueTick: Date | undefined;
  ready: ConditionInput;
  now: () => Date;
  /** Writes the Running condition (and Ready) of the policy as read for this run. */
  writeRunning(running: ConditionInput): Promise<void>;
  /** Aborts the run when its controller stops (leadership lost, shutdown). */
  signal?: AbortSignal;
}

async function runAndRecord(run: RunContext): Promise<ReconcileOutcome> {
  const { request, ctx, options, spec, access, url, trigger, ready, now } = run;
  let current = run.policy;
  const runNowValue = current.metadata?.annotations?.[RUN_NOW_ANNOTATION];
  const status = (running: ConditionInput, nextRun: Date | undefined, runFields?: DesiredStatusInput['run']) =>
    desiredStatus({ metadata: current.metadata ?? {}, current: current.status, conditions: [ready, running], nextRun, now: now(), ...(runFields ? { run: runFields } : {}) });

  const result: GuardedRunResult = await runUnderMaintenanceLock(options.locks, access.registryKey, request.key, {
    markRunning: async () => {
      const running: ConditionInput = {
        type: C.CONDITION_RUNNING, status: 'True', reason: C.REASON_RUN_IN_PROGRESS,
        message: `${spec.dryRun ? 'Dry run' : 'Run'} (${trigger === 'RunNow' ? 'asked by the run-now annotation' : 'scheduled'}) started against ${url}.`,
      };
      current = await writeStatus(ctx, request, current, status(running, run.dueTick));
      ctx.log.info({ trigger, dryRun: spec.dryRun, registry: url }, 'Started retention run');
    },
    ...(access.registry
      ? {
          readLiveRegistry: () =>
            ctx.kube.requestJson<Registry>('GET', objectPath(RESOURCES.registry, request.namespace, access.registry?.metadata?.name ?? '')),
        }
      : {}),
    run: () =>
      executeRetentionRun(options.runRetention, {
        access, url, policyKey: request.key, spec, now, log: ctx.log,
        ...(options.addressPolicy && { addressPolicy: options.addressPolicy }),
        ...(run.signal && { signal: run.signal }),
        ...(options.tagBudget && { tagBudget: options.tagBudget }),
        collectInUse: (signal) => options.collectInUse(ctx.kube, signal),
        // A managed Registry's pull records (pull-tracking/store.ts); an external registry has none.
        ...(access.registry && { readPulls: () => readPullRecords(ctx.kube, request.namespace, access.registry?.metadata?.name ?? '', now().getTime()) }),
      }),
  });

  if (result.kind !== 'ran') {
    const running: ConditionInput =
      result.kind === 'blocked-by-window'
        ? { type: C.CONDITION_RUNNING, status: 'False', reason: C.REASON_WAITING_FOR_GC, message: waitingForWindowMessage(result.phase) }
        : { type: C.CONDITION_RUNNING, status: 'False', reason: C.REASON_WAITING_FOR_OTHER_RUN, message: `Waiting for the run of RetentionPolicy ${result.holder} on the same registry to finish.` };
    await writeStatus(ctx, request, current, status(running, run.dueTick));
    ctx.log.info({ blockedBy: result.kind }, 'Retention run is waiting');
    return { requeueAfterMs: options.blockedRetryMs ?? DEFAULT_BLOCKED_RETRY_MS };
  }

  const report = result.report;
  if (report.errorCode === 'DM_ERR_RETENTION_MEMORY_BUSY' && runTotals(report).deleted === 0) {
    // Not a run yet: it stopped before deleting because other runs hold the memory. Tried again
    // soon. (One that deleted in earlier batches is recorded as what it is: PartiallyFailed.)
    await writeStatus(ctx, request, current, status({ type: C.CONDITION_RUNNING, status: 'False', reason: C.REASON_WAITING_FOR_MEMORY, message: report.error ?? '' }, run.dueTick));
    return { requeueAfterMs: options.blockedRetryMs ?? DEFAULT_BLOCKED_RETRY_MS };
  }
  options.metrics.observeRun(request.key, report);
  const event = runEvent(report);
  if (event) ctx.events.record(current, event.type, event.reason, event.message);
  const lastRun = lastRunFromReport(report, trigger);
  const idle: ConditionInput = { type: C.CONDITION_RUNNING, status: 'False', reason: C.REASON_IDLE, message: `No run in progress; the last one ended ${report.outcome}.` };
  const nextRun = nextTick(spec, report.startTime);
  await writeStatus(ctx, request, current, status(idle, nextRun, {
    lastRun,
    ...(report.outcome === 'DryRun' ? { planSummary: boundedPlanSummary(report.plan) } : {}),
    ...(trigger === 'RunNow' && runNowValue !== undefined ? { handledRunNow: runNowValue } : {}),
  }));
  if (!nextRun) return {};
  return { requeueAfterMs: Math.max(1000, Math.min(nextRun.getTime() - now().getTime(), MAX_REQUEUE_MS)) };
}
