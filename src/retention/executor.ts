/**
 * runRetention: list the registry (scope from the policy), plan (pure planRetention), and unless
 * dry-run, delete by digest with the re-checks of delete-execution.ts. Never throws for registry
 * trouble: a run that cannot list reports outcome Failed with the error.
 */
import { createScopeMatcher } from '../api/glob.js';
import { silentLogger } from '../logging/logger.js';
import type { RegistryV2Client } from '../registry/client/index.js';
import type { RetentionPolicySpec } from '../api/retention-policy.js';
import { DEFAULT_MAX_CONSECUTIVE_FAILURES, runOutcome } from './delete-failures.js';
import { executeDeletes } from './delete-execution.js';
import { orderRepositoryDeletes } from './delete-order.js';
import type { RetentionPlan } from './plan.js';
import { planRetention } from './planner.js';
import { takeRegistrySnapshot } from './registry-snapshot.js';
import type { RetentionProgress, RetentionRunOptions, RetentionRunReport } from './run.js';
import type { RegistrySnapshot } from './snapshot.js';

/** Knobs of the executor beyond the shared contract; the defaults suit the CLI and the controller. */
export interface RetentionExecutorTuning {
  /** Failed deletes in a row (after the client's retries) that stop the run. Default 5. */
  maxConsecutiveFailures?: number;
  /** Repositories whose re-check and deletes run at once (default 4); the client bounds requests in flight. */
  repositoryConcurrency?: number;
}

const DEFAULT_REPOSITORY_CONCURRENCY = 4;

function emptyPlan(registry: string, policy: string): RetentionPlan {
  return { registry, policy, repositories: [], summary: { repositories: 0, tags: 0, kept: 0, deleteDigests: 0, deleteTags: 0 } };
}

/** Lists the repositories in the policy's scope and snapshots them (catalog, tags/list, HEAD per tag, manifests, configs). */
export async function snapshotInScope(
  client: RegistryV2Client,
  spec: RetentionPolicySpec,
  registry: string,
  onProgress?: (progress: { repositoriesScanned: number; repositoriesTotal: number; tagsResolved: number }) => void,
): Promise<RegistrySnapshot> {
  const inScope = createScopeMatcher({ include: spec.repositories, exclude: spec.excludeRepositories }, 'repository');
  const repositories = (await client.listRepositories()).filter(inScope);
  onProgress?.({ repositoriesScanned: 0, repositoriesTotal: repositories.length, tagsResolved: 0 });
  return takeRegistrySnapshot(client, {
    registry,
    repositories,
    onProgress: (p) => onProgress?.({ repositoriesScanned: p.repositoriesScanned, repositoriesTotal: repositories.length, tagsResolved: p.tagsResolved }),
  });
}

/** Reports list repositories and digests in a stable order, whatever order the deletes settled in. */
function sortByLocation<T extends { repository: string; digest: string }>(list: T[]): T[] {
  const key = (item: T): string => `${item.repository}\u0000${item.digest}`;
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export async function runRetention(options: RetentionRunOptions & RetentionExecutorTuning): Promise<RetentionRunReport> {
  const startTime = new Date();
  const log = (options.logger ?? silentLogger()).child({ policy: options.policyName, registry: options.registry });
  const progress: RetentionProgress = { phase: 'listing', repositoriesScanned: 0, repositoriesTotal: 0, tagsResolved: 0, deletesDone: 0, deletesTotal: 0 };
  const emit = (change: Partial<RetentionProgress>): void => {
    Object.assign(progress, change);
    options.onProgress?.({ ...progress });
  };
  const empty = { deleted: [], skipped: [], failed: [], notAttempted: [] };

  let snapshot: RegistrySnapshot;
  let plan: RetentionPlan;
  try {
    emit({});
    snapshot = await snapshotInScope(options.client, options.spec, options.registry, (p) => emit({ ...p, phase: p.tagsResolved > 0 ? 'resolving' : 'listing' }));
    plan = planRetention(options.spec, snapshot, { now: options.now ?? startTime, policyName: options.policyName });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error({ error: message }, 'Retention run failed while listing the registry');
    emit({ phase: 'done' });
    const plan = emptyPlan(options.registry, options.policyName);
    return { outcome: 'Failed', plan, ...empty, error: message, startTime, completionTime: new Date() };
  }
  log.info({ ...plan.summary, dryRun: options.dryRun }, 'Planned retention run');

  if (options.dryRun) {
    emit({ phase: 'done' });
    return { outcome: 'DryRun', plan, ...empty, startTime, completionTime: new Date() };
  }
  if (options.signal?.aborted) {
    emit({ phase: 'done' });
    const notAttempted = plan.repositories.flatMap((r) => r.delete.map((d) => ({ repository: r.name, digest: d.digest, tags: [...d.tags] })));
    const outcome = notAttempted.length === 0 ? 'Succeeded' : 'Failed';
    return { outcome, plan, ...empty, notAttempted, error: 'aborted before deleting', startTime, completionTime: new Date() };
  }

  emit({ phase: 'deleting', deletesDone: 0, deletesTotal: plan.summary.deleteDigests });
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
  const outcome = runOutcome({ deleted: ledger.deleted.length, failed: ledger.failed.length, notAttempted: ledger.notAttempted.length });
  log.info(
    { outcome, deleted: ledger.deleted.length, skipped: ledger.skipped.length, failed: ledger.failed.length, notAttempted: ledger.notAttempted.length },
    'Finished retention run',
  );
  return { outcome, plan, ...ledger, ...(stopReason !== undefined ? { error: stopReason } : {}), startTime, completionTime: new Date() };
}
