/**
 * Status conditions with apimachinery's semantics (meta.SetStatusCondition): a condition is
 * replaced by type, `lastTransitionTime` moves only when its status flips, `observedGeneration`
 * is the generation the controller acted on, and conditions of other types (another
 * controller's) are kept as they are.
 */

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** What a controller decides: type, status and why, with a message that says what to do. */
export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** A condition as stored in status. */
export interface StatusCondition extends ConditionInput {
  observedGeneration?: number;
  lastTransitionTime?: string;
}

/** `inputs` replace the conditions of their types, in their order, before the ones kept. */
export function mergeConditions<C extends StatusCondition>(previous: readonly C[], inputs: readonly ConditionInput[], generation: number, now: Date): C[] {
  const replaced = new Set(inputs.map((c) => c.type));
  const updated = inputs.map((input) => {
    const before = previous.find((c) => c.type === input.type);
    const lastTransitionTime = before && before.status === input.status ? before.lastTransitionTime : now.toISOString();
    return { ...input, observedGeneration: generation, lastTransitionTime } as C;
  });
  return [...updated, ...previous.filter((c) => !replaced.has(c.type))];
}

export function findCondition<C extends StatusCondition>(conditions: readonly C[] | undefined, type: string): C | undefined {
  return conditions?.find((c) => c.type === type);
}
