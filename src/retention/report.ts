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

export interface SkippedDelete {
  repository: string;
  digest: string;
  tags: string[];
  /** Why it was not deleted, e.g. "tag v1 moved to sha256:… since the plan". */
  reason: string;
}

export interface FailedDelete {
  repository: string;
  digest: string;
  tags: string[];
  error: string;
}

export type RetentionOutcome = 'Succeeded' | 'PartiallyFailed' | 'Failed' | 'DryRun';

export interface RetentionRunReport {
  outcome: RetentionOutcome;
  plan: RetentionPlan;
  deleted: DeletedManifest[];
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
}
