/**
 * The RetentionPolicy status the controller wants, computed on a copy, and the merge patch that
 * takes the stored status there. Pure. The patch carries only the fields whose value changed:
 * a status computed from a cache that has not yet seen our last write then cannot put back an
 * older lastRun (only a finished run ever changes lastRun, handledRunNow and planSummary).
 */
import type { Condition, ObjectMeta } from '../../api/common.js';
import type { RetentionPolicyStatus } from '../../api/retention-policy.js';
import { findCondition as findStatusCondition, mergeConditions, type ConditionInput } from '../../runtime/conditions.js';
import { changedStatusFields } from '../../runtime/status-patch.js';

/** Status fields this controller writes (all of them: the policy's status is ours alone). */
export const OWNED_STATUS_FIELDS = ['observedGeneration', 'conditions', 'lastRun', 'nextRun', 'planSummary', 'handledRunNow'] as const;

export function findCondition(status: RetentionPolicyStatus | undefined, type: string): Condition | undefined {
  return findStatusCondition(status?.conditions, type);
}

export interface DesiredStatusInput {
  metadata: Pick<ObjectMeta, 'generation'>;
  current: RetentionPolicyStatus | undefined;
  conditions: readonly ConditionInput[];
  /** undefined removes status.nextRun (no schedule, suspended). */
  nextRun: Date | undefined;
  now: Date;
  /** Only after a run: the fields the run changes. */
  run?: Pick<RetentionPolicyStatus, 'lastRun' | 'planSummary' | 'handledRunNow'>;
}

export function desiredStatus(input: DesiredStatusInput): RetentionPolicyStatus {
  const current = input.current ?? {};
  const generation = input.metadata.generation ?? 0;
  const next: RetentionPolicyStatus = {
    ...current,
    observedGeneration: generation,
    conditions: mergeConditions(current.conditions ?? [], input.conditions, generation, input.now),
  };
  if (input.nextRun) next.nextRun = input.nextRun.toISOString();
  else delete next.nextRun;
  if (input.run) {
    next.lastRun = input.run.lastRun;
    if (input.run.planSummary) next.planSummary = input.run.planSummary;
    // planSummary describes the last dry run only; a real run removes it rather than leave a stale plan.
    else delete next.planSummary;
    if (input.run.handledRunNow !== undefined) next.handledRunNow = input.run.handledRunNow;
  }
  return next;
}

/**
 * The merge patch body (`{status: {...}}`) holding the owned fields that differ, `null` for
 * the ones to remove; undefined when nothing changed (then no write at all).
 */
export function statusPatch(current: RetentionPolicyStatus | undefined, next: RetentionPolicyStatus): { status: Record<string, unknown> } | undefined {
  const changes = changedStatusFields(current, next, OWNED_STATUS_FIELDS);
  return changes ? { status: changes } : undefined;
}
