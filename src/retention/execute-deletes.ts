/**
 * Sends a plan's deletes (I/O): per repository, re-check the tags, skip what became stale, then
 * DELETE level by level (referrers first, delete-order.ts), under the partial-failure rule of
 * delete-failures.ts. Everything that happens to a planned delete lands in exactly one list of
 * the ledger: deleted, skipped, failed or notAttempted.
 */
import type { Logger } from '../logging/logger.js';
import type { RegistryV2Client } from '../registry/client/index.js';
import { classifyDeleteError, nextFailureState, type DeleteAttemptResult, type FailureState } from './delete-failures.js';
import type { RepositoryDeleteOrder } from './delete-order.js';
import { blockedByReferrer, skipsAfterRecheck } from './delete-recheck.js';
import type { PlannedDelete, PlannedUntag } from './plan.js';
import type { DeletedManifest, FailedDelete, SkippedDelete, UntaggedTag } from './report.js';
import type { RepositorySnapshot } from './snapshot.js';
import { recheckRepository } from './tag-recheck.js';
import { mapBounded, TASKS_PER_REPOSITORY } from './bounded-work.js';

export interface DeleteLedger {
  deleted: DeletedManifest[];
  untagged: UntaggedTag[];
  skipped: SkippedDelete[];
  failed: FailedDelete[];
  notAttempted: DeletedManifest[];
}

export interface DeleteExecutionOptions {
  client: RegistryV2Client;
  logger: Logger;
  maxConsecutiveFailures: number;
  repositoryConcurrency: number;
  signal?: AbortSignal;
  /** Called each time a planned delete is settled (in any list). */
  onSettled: () => void;
  /** The failure state to start from: a run that deletes batch by batch carries it across batches. */
  failures?: FailureState;
}

export interface DeleteExecutionResult extends DeleteLedger {
  /** Why the run stopped early (registry read-only, too many failures, aborted), if it did. */
  stopReason?: string;
  /** The failure state at the end, for the next batch of the same run. */
  failures: FailureState;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class DeleteRun {
  readonly ledger: DeleteLedger = { deleted: [], untagged: [], skipped: [], failed: [], notAttempted: [] };
  failures: FailureState;

  constructor(private readonly options: DeleteExecutionOptions) {
    this.failures = options.failures ?? { consecutiveFailures: 0 };
  }

  get stopReason(): string | undefined {
    if (this.failures.stopReason !== undefined) return this.failures.stopReason;
    return this.options.signal?.aborted ? 'aborted before all deletes were sent' : undefined;
  }

  record(result: DeleteAttemptResult): void {
    const before = this.failures.stopReason;
    this.failures = nextFailureState(this.failures, result, this.options.maxConsecutiveFailures);
    if (before === undefined && this.failures.stopReason !== undefined) {
      this.options.logger.error({ reason: this.failures.stopReason }, 'Stopped deleting: no further DELETE is sent');
    }
  }

  settle(list: 'deleted' | 'notAttempted', repository: string, entry: PlannedDelete): void;
  settle(list: 'skipped', repository: string, entry: PlannedDelete, reason: string): void;
  settle(list: 'failed', repository: string, entry: PlannedDelete, error: string): void;
  settle(list: keyof DeleteLedger, repository: string, entry: PlannedDelete, detail?: string): void {
    const base = { repository, digest: entry.digest, tags: [...entry.tags] };
    const log = this.options.logger;
    if (list === 'deleted') {
      this.ledger.deleted.push(base);
      log.info(base, 'Deleted manifest');
    } else if (list === 'notAttempted') {
      this.ledger.notAttempted.push(base);
    } else if (list === 'skipped') {
      this.ledger.skipped.push({ ...base, reason: detail ?? '' });
      log.warn({ ...base, reason: detail }, 'Skipped planned delete');
    } else {
      this.ledger.failed.push({ ...base, error: detail ?? '' });
      log.error({ ...base, error: detail }, 'Failed to delete manifest');
    }
    this.options.onSettled();
  }

  /** An untag lands in `untagged`, or in skipped/failed/notAttempted with `tags: [tag]`. */
  settleUntag(list: keyof DeleteLedger, repository: string, entry: PlannedUntag, detail?: string): void {
    const log = this.options.logger;
    if (list === 'untagged') {
      this.ledger.untagged.push({ repository, tag: entry.tag, digest: entry.digest });
      log.info({ repository, tag: entry.tag, digest: entry.digest }, 'Untagged (manifest kept)');
      this.options.onSettled();
      return;
    }
    const asDelete: PlannedDelete = { digest: entry.digest, tags: [entry.tag], reason: entry.reason };
    if (list === 'skipped') this.settle('skipped', repository, asDelete, `untag ${entry.tag}: ${detail ?? ''}`);
    else if (list === 'failed') this.settle('failed', repository, asDelete, `untag ${entry.tag}: ${detail ?? ''}`);
    else if (list === 'notAttempted') this.settle('notAttempted', repository, asDelete);
  }
}

/**
 * Untags a repository's planned tags. The tags' manifests stay whatever happens, so the only
 * re-check is that the tag still names the planned digest: a tag pushed again since the plan is
 * a new image nobody judged.
 */
async function untagRepository(run: DeleteRun, options: DeleteExecutionOptions, order: RepositoryDeleteOrder, tagsNow: Record<string, string>): Promise<void> {
  const { repository } = order;
  await mapBounded(order.untag, TASKS_PER_REPOSITORY, async (entry) => {
    const now = tagsNow[entry.tag];
    if (now === undefined) return run.settleUntag('skipped', repository, entry, 'the tag is already gone');
    if (now !== entry.digest) return run.settleUntag('skipped', repository, entry, `the tag moved to ${now} since the plan`);
    if (run.stopReason !== undefined) return run.settleUntag('notAttempted', repository, entry);
    try {
      await options.client.deleteTag(repository, entry.tag);
      run.record({ kind: 'success' });
      return run.settleUntag('untagged', repository, entry);
    } catch (error) {
      const errorClass = classifyDeleteError(error);
      run.record({ kind: 'error', errorClass, message: errorMessage(error) });
      if (errorClass === 'gone') return run.settleUntag('skipped', repository, entry, 'the tag is already gone (the registry answered 404)');
      return run.settleUntag('failed', repository, entry, errorMessage(error));
    }
  });
}

async function executeRepository(run: DeleteRun, options: DeleteExecutionOptions, order: RepositoryDeleteOrder, snapshot: RepositorySnapshot | undefined): Promise<void> {
  const { repository } = order;
  const entries = order.levels.flat();
  if (run.stopReason !== undefined) {
    for (const entry of entries) run.settle('notAttempted', repository, entry);
    for (const entry of order.untag) run.settleUntag('notAttempted', repository, entry);
    return;
  }
  let skips: Map<string, string>;
  try {
    const recheck = await recheckRepository(options.client, repository, snapshot);
    skips = skipsAfterRecheck(order, snapshot, recheck);
    await untagRepository(run, options, order, recheck.tags);
  } catch (error) {
    // Without a fresh resolution nothing may be deleted: the plan could be stale.
    const message = `not deleted: re-checking the repository's tags before deleting failed: ${errorMessage(error)}`;
    for (const entry of entries) run.settle('failed', repository, entry, message);
    for (const entry of order.untag) run.settleUntag('failed', repository, entry, message);
    run.record({ kind: 'error', errorClass: classifyDeleteError(error), message: errorMessage(error) });
    return;
  }
  const gone = new Set<string>();
  for (const level of order.levels) {
    await mapBounded(level, TASKS_PER_REPOSITORY, async (entry) => {
      const skip = skips.get(entry.digest);
      if (skip !== undefined) return run.settle('skipped', repository, entry, skip);
      if (run.stopReason !== undefined) return run.settle('notAttempted', repository, entry);
      const blocked = blockedByReferrer(entry.digest, order.references, gone);
      if (blocked !== undefined) return run.settle('skipped', repository, entry, blocked);
      try {
        await options.client.deleteManifest(repository, entry.digest);
        gone.add(entry.digest);
        run.record({ kind: 'success' });
        return run.settle('deleted', repository, entry);
      } catch (error) {
        const errorClass = classifyDeleteError(error);
        run.record({ kind: 'error', errorClass, message: errorMessage(error) });
        if (errorClass !== 'gone') return run.settle('failed', repository, entry, errorMessage(error));
        gone.add(entry.digest);
        return run.settle('skipped', repository, entry, 'already deleted (the registry answered 404)');
      }
    });
  }
}

/**
 * Executes the ordered deletes of every repository, `repositoryConcurrency` repositories at a
 * time (the client bounds the requests in flight); each repository's re-check happens just
 * before its own deletes, so the window for a stale decision is one repository's work.
 */
export async function executeDeletes(
  orders: readonly RepositoryDeleteOrder[],
  snapshots: ReadonlyMap<string, RepositorySnapshot>,
  options: DeleteExecutionOptions,
): Promise<DeleteExecutionResult> {
  const run = new DeleteRun(options);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < orders.length; i = next++) {
      const order = orders[i]!;
      await executeRepository(run, options, order, snapshots.get(order.repository));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.repositoryConcurrency, orders.length)) }, worker));
  const stopReason = run.stopReason;
  return { ...run.ledger, ...(stopReason !== undefined ? { stopReason } : {}), failures: run.failures };
}
