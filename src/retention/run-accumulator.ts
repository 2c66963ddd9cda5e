/**
 * What a batched run (run-retention.ts runRetention) keeps of the batches it has done: the plan's
 * counts, its skipped repositories, and the ledger. In `bounded` mode (the operator) the lists keep
 * only their first entries, with true totals beside them, so a run's memory does not grow with
 * the registry: the status shows 50 deletions and 3 errors, and every entry went to the log as it
 * happened. In `full` mode every entry is kept (tests, benches and scripts that read the lists).
 */
import type { RepositoryPlan, RetentionPlan } from './plan.js';
import type { DeleteLedger } from './execute-deletes.js';
import type { RunTotals } from './report.js';

/** Entries a bounded report keeps of each list: more than the status shows (50 deletions). */
export const BOUNDED_REPORT_ENTRIES = 100;

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const byLocation = <T extends { repository: string; digest: string }>(a: T, b: T): number => {
  const ka = `${a.repository}\u0000${a.digest}`;
  const kb = `${b.repository}\u0000${b.digest}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

export class RunAccumulator {
  private readonly repositories: RepositoryPlan[] = [];
  private readonly skippedRepositories: Array<{ name: string; reason: string }> = [];
  private notes: string[] | undefined;
  private readonly summary = { repositories: 0, tags: 0, kept: 0, deleteDigests: 0, deleteTags: 0, untagTags: 0 };
  private readonly ledger: DeleteLedger = { deleted: [], untagged: [], skipped: [], failed: [], notAttempted: [] };
  readonly totals: RunTotals = { deleted: 0, tagsDeleted: 0, skipped: 0, failed: 0, notAttempted: 0, untagged: 0 };
  private plannedDeletionsKept = 0;

  constructor(
    private readonly registry: string,
    private readonly policy: string,
    private readonly bounded: boolean,
  ) {}

  private keptInUse: number | undefined;

  addPlan(plan: RetentionPlan): void {
    for (const key of Object.keys(this.summary) as Array<keyof typeof this.summary>) this.summary[key] += plan.summary[key];
    if (plan.summary.keptInUse !== undefined) this.keptInUse = (this.keptInUse ?? 0) + plan.summary.keptInUse;
    this.skippedRepositories.push(...(plan.skippedRepositories ?? []));
    // Every batch is planned with the same inputs: the first batch's notes stand for the run.
    this.notes ??= plan.notes;
    for (const repository of plan.repositories) {
      if (!this.bounded) {
        this.repositories.push(repository);
        continue;
      }
      // Kept tags are counted, not listed; deletions and untags up to the bound (the status shows 50).
      const room = Math.max(0, BOUNDED_REPORT_ENTRIES - this.plannedDeletionsKept);
      if (room === 0) continue;
      const deletes = repository.delete.slice(0, room);
      const untag = repository.untag.slice(0, room - deletes.length);
      this.plannedDeletionsKept += deletes.length + untag.length;
      if (deletes.length + untag.length > 0) this.repositories.push({ name: repository.name, keep: [], delete: deletes, untag });
    }
  }

  addLedger(ledger: DeleteLedger): void {
    this.totals.deleted += ledger.deleted.length;
    this.totals.tagsDeleted += ledger.deleted.reduce((n, d) => n + d.tags.length, 0);
    this.totals.skipped += ledger.skipped.length;
    this.totals.failed += ledger.failed.length;
    this.totals.notAttempted += ledger.notAttempted.length;
    this.totals.untagged += ledger.untagged.length;
    for (const list of ['deleted', 'untagged', 'skipped', 'failed', 'notAttempted'] as const) {
      const target = this.ledger[list] as Array<(typeof ledger)[typeof list][number]>;
      const room = this.bounded ? Math.max(0, BOUNDED_REPORT_ENTRIES - target.length) : Infinity;
      target.push(...ledger[list].slice(0, room));
    }
  }

  plan(): RetentionPlan {
    const skipped = [...this.skippedRepositories].sort(byName);
    return {
      registry: this.registry,
      policy: this.policy,
      repositories: [...this.repositories].sort(byName),
      summary: { ...this.summary, ...(this.keptInUse !== undefined && { keptInUse: this.keptInUse }) },
      ...(skipped.length > 0 && { skippedRepositories: skipped }),
      ...(this.notes && { notes: [...this.notes] }),
    };
  }

  /** The ledger lists, sorted by repository and digest whatever order the batches settled in. */
  sortedLedger(): DeleteLedger {
    return sortLedger(this.ledger);
  }
}

/** Reports list repositories and digests in a stable order, whatever order the deletes settled in. */
export function sortLedger(ledger: DeleteLedger): DeleteLedger {
  return {
    deleted: [...ledger.deleted].sort(byLocation),
    untagged: [...ledger.untagged].sort(byLocation),
    skipped: [...ledger.skipped].sort(byLocation),
    failed: [...ledger.failed].sort(byLocation),
    notAttempted: [...ledger.notAttempted].sort(byLocation),
  };
}
