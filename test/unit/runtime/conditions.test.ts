import { describe, expect, it } from 'vitest';
import { findCondition, mergeConditions, type StatusCondition } from '../../../src/runtime/conditions.js';

const t0 = new Date('2026-03-01T00:00:00Z');
const t1 = new Date('2026-03-01T01:00:00Z');
const ready = { type: 'Ready', status: 'True' as const, reason: 'Configured', message: 'ok' };
const idle = { type: 'Running', status: 'False' as const, reason: 'Idle', message: 'No run in progress.' };

describe('mergeConditions', () => {
  it('moves lastTransitionTime only when the status flips, stamps observedGeneration, keeps other types', () => {
    const first = mergeConditions<StatusCondition>([{ type: 'Other', status: 'True', reason: 'X', message: '', lastTransitionTime: t0.toISOString() }], [ready, idle], 1, t0);
    const second = mergeConditions(first, [{ ...ready, message: 'changed' }, { ...idle, status: 'True', reason: 'RunInProgress' }], 2, t1);
    expect(second.find((c) => c.type === 'Ready')).toMatchObject({ lastTransitionTime: t0.toISOString(), observedGeneration: 2, message: 'changed' });
    expect(second.find((c) => c.type === 'Running')).toMatchObject({ lastTransitionTime: t1.toISOString(), status: 'True' });
    expect(second.find((c) => c.type === 'Other')).toBeDefined();
  });
});

describe('findCondition', () => {
  it('finds by type, undefined when absent', () => {
    const conditions = mergeConditions<StatusCondition>([], [ready], 1, t0);
    expect(findCondition(conditions, 'Ready')?.reason).toBe('Configured');
    expect(findCondition(conditions, 'Running')).toBeUndefined();
    expect(findCondition(undefined, 'Ready')).toBeUndefined();
  });
});
