/**
 * The partial-failure rule of a retention run (pure), invariant 6:
 * - a DELETE answered 404 means the manifest is already gone: the goal is reached, not an error;
 * - read-only mode (405 + Allow), deletes disabled (405 UNSUPPORTED), refused credentials
 *   (401/403) and a read limit reached stop the run at once: every other request would be
 *   refused the same way;
 * - any other failure (5xx, 429 or no answer, after the client's retries) is recorded and the
 *   run goes on; `maxConsecutiveFailures` of them in a row (no success in between) stop it, so a
 *   registry that went away is not hammered with one doomed request per planned delete.
 * After a stop no new DELETE is sent; what was not attempted is reported as such. A re-run
 * re-plans from a fresh listing, so it converges.
 */
import { REGISTRY_ERROR_CODES, RegistryApiError } from '../registry/client/index.js';
import type { RetentionOutcome } from './report.js';

export const DEFAULT_MAX_CONSECUTIVE_FAILURES = 5;

export type DeleteErrorClass = 'gone' | 'stop' | 'failure';

// A read limit reached (the run's byte budget) refuses every further read the same way.
const STOPPING_CODES: ReadonlySet<string> = new Set([REGISTRY_ERROR_CODES.readOnly, REGISTRY_ERROR_CODES.deleteDisabled, REGISTRY_ERROR_CODES.untagUnsupported, REGISTRY_ERROR_CODES.auth, REGISTRY_ERROR_CODES.limit]);

export function classifyDeleteError(error: unknown): DeleteErrorClass {
  if (!(error instanceof RegistryApiError)) return 'failure';
  if (error.code === REGISTRY_ERROR_CODES.notFound) return 'gone';
  return STOPPING_CODES.has(error.code) ? 'stop' : 'failure';
}

export interface FailureState {
  consecutiveFailures: number;
  /** Set once the run must stop: why. */
  stopReason?: string;
}

export type DeleteAttemptResult = { kind: 'success' } | { kind: 'error'; errorClass: DeleteErrorClass; message: string };

/** The failure state after one attempted DELETE (or repository re-check). A stopped run stays stopped. */
export function nextFailureState(state: FailureState, result: DeleteAttemptResult, maxConsecutiveFailures: number): FailureState {
  if (state.stopReason !== undefined) return state;
  if (result.kind === 'success' || result.errorClass === 'gone') return { consecutiveFailures: 0 };
  if (result.errorClass === 'stop') return { consecutiveFailures: state.consecutiveFailures + 1, stopReason: result.message };
  const consecutiveFailures = state.consecutiveFailures + 1;
  if (consecutiveFailures < maxConsecutiveFailures) return { consecutiveFailures };
  return { consecutiveFailures, stopReason: `stopped after ${consecutiveFailures} consecutive failures; last: ${result.message}` };
}

/**
 * The run's outcome from what happened to its planned deletes. Skipped deletes are safe decisions,
 * not errors; a repository skipped at a per-repository limit is a part of the run not done, so the
 * run is at best PartiallyFailed (never Failed for that alone: the other repositories were done).
 */
export function runOutcome(counts: { deleted: number; failed: number; notAttempted: number; skippedRepositories?: number }): RetentionOutcome {
  const skippedRepositories = counts.skippedRepositories ?? 0;
  if (counts.failed === 0 && counts.notAttempted === 0) return skippedRepositories === 0 ? 'Succeeded' : 'PartiallyFailed';
  return counts.deleted === 0 ? 'Failed' : 'PartiallyFailed';
}
