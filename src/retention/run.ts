/**
 * The retention engine's entry point, shared by `dockmaster retention plan|apply` and the
 * RetentionPolicy controller: list the registry, plan (pure), and, unless dry-run, delete by
 * digest with the safety re-checks. CONTRACT: the signature and result shape below are what the
 * CLI and the controller call; the executor behind it lives in executor.ts.
 */
import type { RetentionPolicySpec } from '../api/retention-policy.js';
import type { Logger } from '../logging/logger.js';
import type { RegistryV2Client } from '../registry/client/index.js';
import type { RetentionPlan } from './plan.js';

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
}

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
  startTime: Date;
  completionTime: Date;
}

export { runRetention } from './executor.js';
