/**
 * runRetention: list the registry (scope from the policy), plan (pure planRetention), and unless
 * dry-run, delete by digest with the re-checks of execute-deletes.ts. Never throws for registry
 * trouble: a run that cannot list reports outcome Failed with the error.
 */
import { policyRepositoryScope } from './policy-scope.js';
import { DockmasterError } from '../errors.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import type { RegistryV2Client } from '../registry/client/index.js';
import type { RetentionPolicySpec } from '../api/retention-policy.js';
import { DEFAULT_MAX_CONSECUTIVE_FAILURES, runOutcome, type FailureState } from './delete-failures.js';
import { RunAccumulator, sortLedger } from './run-accumulator.js';
import { executeDeletes, type DeleteExecutionResult } from './execute-deletes.js';
import { orderRepositoryDeletes } from './delete-order.js';
import type { RetentionPlan } from './plan.js';
import { planRetention, type PlanRetentionOptions } from './planner.js';
import { takeRegistrySnapshot } from './registry-snapshot.js';
import type { DeletedManifest, RetentionOutcome, RetentionRunReport } from './report.js';
import type { RegistrySnapshot } from './snapshot.js';

/** What a run reports while it goes (the CLI's progress bar). */
export interface RetentionProgress {
  phase: 'listing' | 'resolving' | 'deleting' | 'done';
  repositoriesScanned: number;
  repositoriesTotal: number;
  tagsResolved: number;
  deletesDone: number;
  deletesTotal: number;
}

export interface RetentionRunOptions {
  client: RegistryV2Client;
  /** Shown in the plan, e.g. the registry URL. */
  registry: string;
  /** `namespace/name` of the policy, shown in the plan and logs. */
  policyName: string;
  spec: RetentionPolicySpec;
  /** Compute the plan only; no DELETE is sent. */
  dryRun: boolean;
  /** The registry can untag (distribution 3.x): planRetention's canUntag. Default false. */
  canUntag?: boolean;
  /** What the cluster runs from this registry, the policy's namespace and notes: planRetention's options. */
  inUse?: PlanRetentionOptions['inUse'];
  policyNamespace?: string;
  notes?: string[];
  /** The registry's pull records (pull-tracking), for pulledWithin and mostRecentlyPulled. */
  pulls?: PlanRetentionOptions['pulls'];
  now?: Date;
  logger?: Logger;
  onProgress?: (progress: RetentionProgress) => void;
  /** Aborting stops before the next DELETE; what was done is reported. */
  signal?: AbortSignal;
  /** Takes each listing's tags from an operator-wide budget (tag-budget.ts); throws when they are not free. */
  reserveTags?: (count: number) => void;
  /** Gives back what reserveTags took, once a batch's listing is dropped (runRetention). */
  releaseTags?: () => void;
}

/** Knobs of the engine beyond the shared contract; the defaults suit the CLI and the controller. */
export interface RetentionExecutorTuning {
  /** Failed deletes in a row (after the client's retries) that stop the run. Default 5. */
  maxConsecutiveFailures?: number;
  /** Repositories whose re-check and deletes run at once (default 8); the client bounds requests in flight. */
  repositoryConcurrency?: number;
}

const DEFAULT_REPOSITORY_CONCURRENCY = 8;


/** The catalog, filtered to the policy's scope (both entry points list the same way). */
async function repositoriesInScope(client: RegistryV2Client, spec: RetentionPolicySpec): Promise<string[]> {
  const inScope = policyRepositoryScope(spec);
  return (await client.listRepositories()).filter(inScope);
}

/** Lists the repositories in the policy's scope and snapshots them (catalog, tags/list, HEAD per tag, manifests, configs). */
export async function snapshotInScope(
  client: RegistryV2Client,
  spec: RetentionPolicySpec,
  registry: string,
  onProgress?: (progress: { repositoriesScanned: number; repositoriesTotal: number; tagsResolved: number }) => void,
): Promise<RegistrySnapshot> {
  const repositories = await repositoriesInScope(client, spec);
  onProgress?.({ repositoriesScanned: 0, repositoriesTotal: repositories.length, tagsResolved: 0 });
  return takeRegistrySnapshot(client, {
    registry,
    repositories,
    onProgress: (p) => onProgress?.({ repositoriesScanned: p.repositoriesScanned, repositoriesTotal: repositories.length, tagsResolved: p.tagsResolved }),
  });
}

/**
 * Sends the deletes a plan made from `snapshot` decided, under the run's partial-failure rule:
 * the one way both entry points delete (a batched run passes the failure state on between batches).
 */
function sendPlannedDeletes(
  plan: RetentionPlan,
  snapshot: RegistrySnapshot,
  options: Pick<RetentionRunOptions, 'client' | 'signal'> & RetentionExecutorTuning,
  run: { logger: Logger; onSettled: () => void; failures?: FailureState },
): Promise<DeleteExecutionResult> {
  const snapshots = new Map(snapshot.repositories.map((r) => [r.name, r]));
  const orders = plan.repositories.filter((r) => r.delete.length > 0 || r.untag.length > 0).map((r) => orderRepositoryDeletes(r, snapshots.get(r.name)));
  return executeDeletes(orders, snapshots, {
    client: options.client,
    logger: run.logger,
    maxConsecutiveFailures: options.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES,
    repositoryConcurrency: options.repositoryConcurrency ?? DEFAULT_REPOSITORY_CONCURRENCY,
    ...(run.failures && { failures: run.failures }),
    ...(options.signal ? { signal: options.signal } : {}),
    onSettled: run.onSettled,
  });
}

/** A plan and the listing it was made from: what executeRetentionPlan needs. */
export interface PlannedRetentionRun {
  snapshot: RegistrySnapshot;
  plan: RetentionPlan;
  startTime: Date;
}

type PlanningOptions = Pick<RetentionRunOptions, 'client' | 'registry' | 'policyName' | 'spec' | 'now' | 'onProgress' | 'canUntag' | 'inUse' | 'policyNamespace' | 'notes' | 'pulls'>;

/** planRetention's options from a run's. */
function planningOptionsOf(options: PlanningOptions, now: Date): PlanRetentionOptions {
  return {
    now,
    policyName: options.policyName,
    canUntag: options.canUntag ?? false,
    ...(options.inUse && { inUse: options.inUse }),
    ...(options.policyNamespace !== undefined && { policyNamespace: options.policyNamespace }),
    ...(options.notes && { notes: options.notes }),
    ...(options.pulls && { pulls: options.pulls }),
  };
}

/** Lists the registry and plans (no DELETE). Throws the listing's error (a RegistryApiError). */
export async function planRetentionRun(options: PlanningOptions): Promise<PlannedRetentionRun> {
  const startTime = new Date();
  const report = (p: Omit<RetentionProgress, 'phase' | 'deletesDone' | 'deletesTotal'>): void =>
    options.onProgress?.({ ...p, phase: p.tagsResolved > 0 ? 'resolving' : 'listing', deletesDone: 0, deletesTotal: 0 });
  report({ repositoriesScanned: 0, repositoriesTotal: 0, tagsResolved: 0 });
  const snapshot = await snapshotInScope(options.client, options.spec, options.registry, report);
  const plan = planRetention(options.spec, snapshot, planningOptionsOf(options, options.now ?? startTime));
  return { snapshot, plan, startTime };
}

type ExecutionOptions = Pick<RetentionRunOptions, 'client' | 'registry' | 'policyName' | 'logger' | 'onProgress' | 'signal'> & RetentionExecutorTuning;

/**
 * Sends the deletes of a plan made by planRetentionRun, however long ago: each repository's tags
 * are re-checked just before its deletes, so a stale plan deletes nothing it should not.
 */
export async function executeRetentionPlan(planned: PlannedRetentionRun, options: ExecutionOptions): Promise<RetentionRunReport> {
  const { plan, snapshot, startTime } = planned;
  const log = (options.logger ?? silentLogger()).child({ policy: options.policyName, registry: options.registry });
  const scanned = snapshot.repositories.length;
  const tagsResolved = snapshot.repositories.reduce((n, r) => n + Object.keys(r.tags).length, 0);
  const progress: RetentionProgress = { phase: 'deleting', repositoriesScanned: scanned, repositoriesTotal: scanned, tagsResolved, deletesDone: 0, deletesTotal: changesIn(plan) };
  const emit = (change: Partial<RetentionProgress>): void => {
    Object.assign(progress, change);
    options.onProgress?.({ ...progress });
  };
  const allPlannedDeletes = (): DeletedManifest[] =>
    plan.repositories.flatMap((r) => [
      ...r.delete.map((d) => ({ repository: r.name, digest: d.digest, tags: [...d.tags] })),
      ...r.untag.map((u) => ({ repository: r.name, digest: u.digest, tags: [u.tag] })),
    ]);
  if (options.signal?.aborted) {
    emit({ phase: 'done' });
    const notAttempted = allPlannedDeletes();
    const outcome = runOutcome({ deleted: 0, failed: 0, notAttempted: notAttempted.length, skippedRepositories: plan.skippedRepositories?.length ?? 0 });
    return { outcome, plan, deleted: [], untagged: [], skipped: [], failed: [], notAttempted, error: 'aborted before deleting', startTime, completionTime: new Date() };
  }
  emit({});
  const result = await sendPlannedDeletes(plan, snapshot, options, { logger: log, onSettled: () => emit({ deletesDone: progress.deletesDone + 1 }) });
  emit({ phase: 'done' });
  const { stopReason } = result;
  const ledger = sortLedger(result);
  const outcome = runOutcome({
    deleted: ledger.deleted.length + ledger.untagged.length,
    failed: ledger.failed.length,
    notAttempted: ledger.notAttempted.length,
    skippedRepositories: plan.skippedRepositories?.length ?? 0,
  });
  log.info(
    { outcome, deleted: ledger.deleted.length, untagged: ledger.untagged.length, skipped: ledger.skipped.length, failed: ledger.failed.length, notAttempted: ledger.notAttempted.length },
    'Finished retention run',
  );
  return { outcome, plan, ...ledger, ...(stopReason !== undefined ? { error: stopReason } : {}), startTime, completionTime: new Date() };
}

/** Repositories listed, planned and (unless dry-run) deleted from together before the next ones are listed. */
export const REPOSITORIES_PER_BATCH = 32;

/**
 * The engine's entry point for the operator: batch by batch of repositories, list, plan and
 * (unless dry-run) delete, then drop the batch's listing. A run's memory is its largest batch
 * (bounded by maxTagsPerRun), not the registry: a million tags in a thousand repositories go
 * through in the memory of 32 of them. Each batch's deletes rest on that batch's complete
 * listing, so no delete ever follows from a truncated view; a listing error stops the run before
 * the next batch (earlier batches are done: PartiallyFailed when they deleted something).
 * The CLI plans everything first (a person confirms the whole plan): planRetentionRun, then
 * executeRetentionPlan. Registry trouble is reported, never thrown.
 */
export async function runRetention(options: RetentionRunOptions & RetentionExecutorTuning & { boundedReport?: boolean }): Promise<RetentionRunReport> {
  const log = (options.logger ?? silentLogger()).child({ policy: options.policyName, registry: options.registry });
  const startTime = new Date();
  const now = options.now ?? startTime;
  const done = new RunAccumulator(options.registry, options.policyName, options.boundedReport ?? false);
  const progress: RetentionProgress = { phase: 'listing', repositoriesScanned: 0, repositoriesTotal: 0, tagsResolved: 0, deletesDone: 0, deletesTotal: 0 };
  const emit = (change: Partial<RetentionProgress>): void => {
    Object.assign(progress, change);
    options.onProgress?.({ ...progress });
  };
  let failures: FailureState = { consecutiveFailures: 0 };
  let error: { message: string; code?: string } | undefined;
  let stopReason: string | undefined;
  try {
    const repositories = await repositoriesInScope(options.client, options.spec);
    emit({ repositoriesTotal: repositories.length });
    for (let first = 0; first < repositories.length && stopReason === undefined; first += REPOSITORIES_PER_BATCH) {
      if (options.signal?.aborted) {
        stopReason = 'aborted before all repositories were done';
        break;
      }
      const batch = repositories.slice(first, first + REPOSITORIES_PER_BATCH);
      const listedBefore = progress.tagsResolved;
      const snapshot = await takeRegistrySnapshot(options.client, {
        registry: options.registry,
        repositories: batch,
        ...(options.reserveTags && { reserveTags: options.reserveTags }),
        onProgress: (p) => emit({ phase: 'resolving', repositoriesScanned: first + p.repositoriesScanned, tagsResolved: listedBefore + p.tagsResolved }),
      });
      const plan = planRetention(options.spec, snapshot, planningOptionsOf(options, now));
      logPlannedDeletions(log, plan, options.dryRun);
      if (!options.dryRun && changesIn(plan) > 0) {
        emit({ phase: 'deleting', deletesTotal: progress.deletesTotal + changesIn(plan) });
        const result = await sendPlannedDeletes(plan, snapshot, options, { logger: log, failures, onSettled: () => emit({ deletesDone: progress.deletesDone + 1 }) });
        failures = result.failures;
        stopReason = result.stopReason;
        done.addLedger(result);
      }
      done.addPlan(plan);
      // The batch's listing is dropped here: give its share of the operator's tag budget back.
      options.releaseTags?.();
    }
  } catch (caught) {
    const message = caught instanceof Error ? caught.message : String(caught);
    log.error({ error: message }, 'Retention run failed while listing the registry');
    error = { message, ...(caught instanceof DockmasterError && { code: caught.code }) };
  }
  emit({ phase: 'done' });
  const plan = done.plan();
  const totals = done.totals;
  const skippedRepositories = plan.skippedRepositories?.length ?? 0;
  let outcome: RetentionOutcome;
  if (error) outcome = totals.deleted + totals.untagged > 0 ? 'PartiallyFailed' : 'Failed';
  else if (options.dryRun) outcome = 'DryRun';
  else outcome = runOutcome({ deleted: totals.deleted + totals.untagged, failed: totals.failed, notAttempted: totals.notAttempted, skippedRepositories });
  const runError = error?.message ?? stopReason;
  log.info({ outcome, ...plan.summary, dryRun: options.dryRun, ...totals, skippedRepositories }, 'Finished retention run');
  return {
    outcome,
    plan,
    ...done.sortedLedger(),
    ...(runError !== undefined && { error: runError }),
    ...(error?.code !== undefined && { errorCode: error.code }),
    totals,
    startTime,
    completionTime: new Date(),
  };
}

/** What executing a plan sends: its deletes and its untags. */
function changesIn(plan: RetentionPlan): number {
  return plan.summary.deleteDigests + plan.summary.untagTags;
}

/** Each repository's planned deletions go to the log as they are planned (a bounded report keeps few). */
function logPlannedDeletions(log: Logger, plan: RetentionPlan, dryRun: boolean): void {
  for (const repository of plan.repositories) {
    if (repository.delete.length === 0 && repository.untag.length === 0) continue;
    log.info({ repository: repository.name, dryRun, deletions: repository.delete, untags: repository.untag, kept: repository.keep.length }, 'Planned deletions in repository');
  }
}
