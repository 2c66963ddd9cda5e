/**
 * The report of a retention run: what was deleted, skipped, failed or not attempted, and the
 * outcome. CONTRACT: the CLI, the RetentionPolicy controller and `--output json` read this shape;
 * run-retention.ts produces it.
 */
import type { RetentionPlan } from './plan.js';

export interface DeletedManifest {
  repository: string;
  digest: string;
  tags: string[];
}

/** A tag removed by untagging (its manifest stays). */
export interface UntaggedTag {
  repository: string;
  tag: string;
  digest: string;
}

/** A planned delete or untag that was not done; an untag's entry has `tags: [the tag]`. */
export interface SkippedDelete {
  repository: string;
  digest: string;
  tags: string[];
  /** Why it was not deleted, e.g. "tag v1 moved to sha256:… since the plan". */
  reason: string;
}

/** A planned delete or untag that failed; an untag's entry has `tags: [the tag]`. */
export interface FailedDelete {
  repository: string;
  digest: string;
  tags: string[];
  error: string;
}

/** How many entries each ledger list had (a bounded report keeps only the first of each list). */
export interface RunTotals {
  deleted: number;
  tagsDeleted: number;
  skipped: number;
  failed: number;
  notAttempted: number;
  /** Tags untagged (their manifests kept). */
  untagged: number;
}

export type RetentionOutcome = 'Succeeded' | 'PartiallyFailed' | 'Failed' | 'DryRun';

export interface RetentionRunReport {
  outcome: RetentionOutcome;
  plan: RetentionPlan;
  deleted: DeletedManifest[];
  /** Tags untagged, their manifests kept (registries that can untag). */
  untagged: UntaggedTag[];
  skipped: SkippedDelete[];
  failed: FailedDelete[];
  /** Planned deletes not attempted (the run stopped: registry gone, aborted). */
  notAttempted: DeletedManifest[];
  /** Run-level error (listing failed, registry unreachable); set when outcome is Failed. */
  error?: string;
  /** The DM_ERR code of `error` when it has one (the controller retries DM_ERR_RETENTION_MEMORY_BUSY soon). */
  errorCode?: string;
  startTime: Date;
  completionTime: Date;
  /**
   * The true counts when the lists above were cut (the operator keeps the first 100 of each);
   * absent when the lists are whole. Read counts through runTotals().
   */
  totals?: RunTotals;
}

/** The counts of a report, whether its lists are whole or cut. */
export function runTotals(report: RetentionRunReport): RunTotals {
  return (
    report.totals ?? {
      deleted: report.deleted.length,
      tagsDeleted: report.deleted.reduce((n, d) => n + d.tags.length, 0),
      skipped: report.skipped.length,
      failed: report.failed.length,
      notAttempted: report.notAttempted.length,
      untagged: report.untagged.length,
    }
  );
}
