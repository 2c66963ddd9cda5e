/**
 * runRetention: list the registry (scope from the policy), plan (pure planRetention), and unless
 * dry-run, delete by digest with the re-checks of execute-deletes.ts. Never throws for registry
 * trouble: a run that cannot list reports outcome Failed with the error.
 */
import { createScopeMatcher } from '../api/glob.js';
import { DockmasterError } from '../errors.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import type { RegistryV2Client } from '../registry/client/index.js';
import type { RetentionPolicySpec } from '../api/retention-policy.js';
import { DEFAULT_MAX_CONSECUTIVE_FAILURES, runOutcome } from './delete-failures.js';
import { executeDeletes } from './execute-deletes.js';
import { orderRepositoryDeletes } from './delete-order.js';
import type { RetentionPlan } from './plan.js';
import { planRetention } from './planner.js';
import { takeRegistrySnapshot } from './registry-snapshot.js';
import type { DeletedManifest, RetentionRunReport } from './report.js';
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
  now?: Date;
  logger?: Logger;
  onProgress?: (progress: RetentionProgress) => void;
  /** Aborting stops before the next DELETE; what was done is reported. */
  signal?: AbortSignal;
  /** Takes each listing's tags from an operator-wide budget (tag-budget.ts); throws when they are not free. */
  reserveTags?: (count: number) => void;
}

/** Knobs of the engine beyond the shared contract; the defaults suit the CLI and the controller. */
export interface RetentionExecutorTuning {
  /** Failed deletes in a row (after the client's retries) that stop the run. Default 5. */
  maxConsecutiveFailures?: number;
  /** Repositories whose re-check and deletes run at once (default 8); the client bounds requests in flight. */
  repositoryConcurrency?: number;
}

const DEFAULT_REPOSITORY_CONCURRENCY = 8;

function emptyPlan(registry: string, policy: string): RetentionPlan {
  return { registry, policy, repositories: [], summary: { repositories: 0, tags: 0, kept: 0, deleteDigests: 0, deleteTags: 0 } };
}

/** Lists the repositories in the policy's scope and snapshots them (catalog, tags/list, HEAD per tag, manifests, configs). */
export async function snapshotInScope(
  client: RegistryV2Client,
  spec: RetentionPolicySpec,
  registry: string,
  onProgress?: (progress: { repositoriesScanned: number; repositoriesTotal: number; tagsResolved: number }) => void,
  reserveTags?: (count: number) => void,
): Promise<RegistrySnapshot> {
  const inScope = createScopeMatcher({ include: spec.repositories, exclude: spec.excludeRepositories }, 'repository');
  const repositories = (await client.listRepositories()).filter(inScope);
  onProgress?.({ repositoriesScanned: 0, repositoriesTotal: repositories.length, tagsResolved: 0 });
  return takeRegistrySnapshot(client, {
    registry,
    repositories,
    ...(reserveTags && { reserveTags }),
    onProgress: (p) => onProgress?.({ repositoriesScanned: p.repositoriesScanned, repositoriesTotal: repositories.length, tagsResolved: p.tagsResolved }),
  });
}

/** Reports list repositories and digests in a stable order, whatever order the deletes settled in. */
function sortByLocation<T extends { repository: string; digest: string }>(list: T[]): T[] {
  const key = (item: T): string => `${item.repository}\u0000${item.digest}`;
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** A plan and the listing it was made from: what executeRetentionPlan needs. */
export interface PlannedRetentionRun {
  snapshot: RegistrySnapshot;
  plan: RetentionPlan;
  startTime: Date;
}

type PlanningOptions = Pick<RetentionRunOptions, 'client' | 'registry' | 'policyName' | 'spec' | 'now' | 'onProgress' | 'reserveTags'>;

/** Lists the registry and plans (no DELETE). Throws the listing's error (a RegistryApiError). */
export async function planRetentionRun(options: PlanningOptions): Promise<PlannedRetentionRun> {
  const startTime = new Date();
  const report = (p: Omit<RetentionProgress, 'phase' | 'deletesDone' | 'deletesTotal'>): void =>
    options.onProgress?.({ ...p, phase: p.tagsResolved > 0 ? 'resolving' : 'listing', deletesDone: 0, deletesTotal: 0 });
  report({ repositoriesScanned: 0, repositoriesTotal: 0, tagsResolved: 0 });
  const snapshot = await snapshotInScope(options.client, options.spec, options.registry, report, options.reserveTags);
  const plan = planRetention(options.spec, snapshot, { now: options.now ?? startTime, policyName: options.policyName });
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
  const progress: RetentionProgress = { phase: 'deleting', repositoriesScanned: scanned, repositoriesTotal: scanned, tagsResolved, deletesDone: 0, deletesTotal: plan.summary.deleteDigests };
  const emit = (change: Partial<RetentionProgress>): void => {
    Object.assign(progress, change);
    options.onProgress?.({ ...progress });
  };
  const allPlannedDeletes = (): DeletedManifest[] => plan.repositories.flatMap((r) => r.delete.map((d) => ({ repository: r.name, digest: d.digest, tags: [...d.tags] })));
  if (options.signal?.aborted) {
    emit({ phase: 'done' });
    const notAttempted = allPlannedDeletes();
    const outcome = runOutcome({ deleted: 0, failed: 0, notAttempted: notAttempted.length, skippedRepositories: plan.skippedRepositories?.length ?? 0 });
    return { outcome, plan, deleted: [], skipped: [], failed: [], notAttempted, error: 'aborted before deleting', startTime, completionTime: new Date() };
  }
  emit({});
  const snapshots = new Map(snapshot.repositories.map((r) => [r.name, r]));
  const orders = plan.repositories.filter((r) => r.delete.length > 0).map((r) => orderRepositoryDeletes(r, snapshots.get(r.name)));
  const result = await executeDeletes(orders, snapshots, {
    client: options.client,
    logger: log,
    maxConsecutiveFailures: options.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES,
    repositoryConcurrency: options.repositoryConcurrency ?? DEFAULT_REPOSITORY_CONCURRENCY,
    ...(options.signal ? { signal: options.signal } : {}),
    onSettled: () => emit({ deletesDone: progress.deletesDone + 1 }),
  });
  emit({ phase: 'done' });
  const { stopReason, ...unsorted } = result;
  const ledger = {
    deleted: sortByLocation(unsorted.deleted),
    skipped: sortByLocation(unsorted.skipped),
    failed: sortByLocation(unsorted.failed),
    notAttempted: sortByLocation(unsorted.notAttempted),
  };
  const outcome = runOutcome({
    deleted: ledger.deleted.length,
    failed: ledger.failed.length,
    notAttempted: ledger.notAttempted.length,
    skippedRepositories: plan.skippedRepositories?.length ?? 0,
  });
  log.info(
    { outcome, deleted: ledger.deleted.length, skipped: ledger.skipped.length, failed: ledger.failed.length, notAttempted: ledger.notAttempted.length },
    'Finished retention run',
  );
  return { outcome, plan, ...ledger, ...(stopReason !== undefined ? { error: stopReason } : {}), startTime, completionTime: new Date() };
}

/** The engine's entry point (run.ts): plan, then unless dry-run execute. Registry trouble is reported, never thrown. */
export async function runRetention(options: RetentionRunOptions & RetentionExecutorTuning): Promise<RetentionRunReport> {
  const log = (options.logger ?? silentLogger()).child({ policy: options.policyName, registry: options.registry });
  let planned: PlannedRetentionRun;
  const startTime = new Date();
  try {
    planned = await planRetentionRun(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error({ error: message }, 'Retention run failed while listing the registry');
    options.onProgress?.({ phase: 'done', repositoriesScanned: 0, repositoriesTotal: 0, tagsResolved: 0, deletesDone: 0, deletesTotal: 0 });
    const plan = emptyPlan(options.registry, options.policyName);
    const errorCode = error instanceof DockmasterError ? error.code : undefined;
    return { outcome: 'Failed', plan, deleted: [], skipped: [], failed: [], notAttempted: [], error: message, ...(errorCode && { errorCode }), startTime, completionTime: new Date() };
  }
  log.info({ ...planned.plan.summary, dryRun: options.dryRun }, 'Planned retention run');
  if (options.dryRun) {
    const { plan } = planned;
    const progress = { repositoriesScanned: plan.summary.repositories, repositoriesTotal: plan.summary.repositories, tagsResolved: plan.summary.tags };
    options.onProgress?.({ phase: 'done', ...progress, deletesDone: 0, deletesTotal: plan.summary.deleteDigests });
    return { outcome: 'DryRun', plan, deleted: [], skipped: [], failed: [], notAttempted: [], startTime: planned.startTime, completionTime: new Date() };
  }
  return executeRetentionPlan(planned, options);
}
