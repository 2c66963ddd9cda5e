/**
 * The RetentionPolicy status the controller wants, computed on a copy, and the merge patch that
 * takes the stored status there. Pure. The patch carries only the fields whose value changed:
 * a status computed from a cache that has not yet seen our last write then cannot put back an
 * older lastRun (only a finished run ever changes lastRun, handledRunNow and planSummary).
 */
import type { Condition, ObjectMeta } from '../../api/common.js';
import type { RetentionPolicyStatus } from '../../api/retention-policy.js';
import { hashObject } from '../../runtime/object-hash.js';

export interface ConditionInput {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** Status fields this controller writes (all of them: the policy's status is ours alone). */
export const OWNED_STATUS_FIELDS = ['observedGeneration', 'conditions', 'lastRun', 'nextRun', 'planSummary', 'handledRunNow'] as const;

export function findCondition(status: RetentionPolicyStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * `inputs` replace the conditions of their types; `lastTransitionTime` moves only when the status
 * flips. Conditions of other types are kept as they are.
 */
export function mergeConditions(previous: readonly Condition[], inputs: readonly ConditionInput[], generation: number, now: Date): Condition[] {
  const replaced = new Set(inputs.map((c) => c.type));
  const updated = inputs.map((input): Condition => {
    const before = previous.find((c) => c.type === input.type);
    const lastTransitionTime = before && before.status === input.status ? before.lastTransitionTime : now.toISOString();
    return { ...input, observedGeneration: generation, lastTransitionTime };
  });
  return [...updated, ...previous.filter((c) => !replaced.has(c.type))];
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
  const changes: Record<string, unknown> = {};
  for (const field of OWNED_STATUS_FIELDS) {
    const before = current?.[field];
    const after = next[field];
    if (after === undefined) {
      if (before !== undefined) changes[field] = null;
    } else if (before === undefined || hashObject(before) !== hashObject(after)) {
      changes[field] = after;
    }
  }
  return Object.keys(changes).length > 0 ? { status: changes } : undefined;
}
