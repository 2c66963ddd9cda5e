import { describe, expect, it } from 'vitest';
import type { RetentionPolicyStatus } from '../../../../src/api/retention-policy.js';
import { desiredStatus, statusPatch } from '../../../../src/controllers/retention-policy/status.js';

const t0 = new Date('2026-03-01T00:00:00Z');
const t1 = new Date('2026-03-01T01:00:00Z');
const ready = { type: 'Ready', status: 'True' as const, reason: 'Configured', message: 'ok' };
const idle = { type: 'Running', status: 'False' as const, reason: 'Idle', message: 'No run in progress.' };

describe('desiredStatus and statusPatch', () => {
  const current: RetentionPolicyStatus = desiredStatus({ metadata: { generation: 1 }, current: undefined, conditions: [ready, idle], nextRun: t1, now: t0 });

  it('writes nothing when nothing changed (a second reconcile is a no-op)', () => {
    const again = desiredStatus({ metadata: { generation: 1 }, current, conditions: [ready, idle], nextRun: t1, now: t1 });
    expect(statusPatch(current, again)).toBeUndefined();
  });

  it('patches only the changed fields, and null for removed ones', () => {
    const withRun: RetentionPolicyStatus = { ...current, lastRun: { result: 'Succeeded', startTime: t0.toISOString() }, planSummary: { deleteDigests: 1 } };
    const suspended = desiredStatus({ metadata: { generation: 2 }, current: withRun, conditions: [ready, idle], nextRun: undefined, now: t1 });
    const patch = statusPatch(withRun, suspended);
    expect(patch?.status).toEqual({ observedGeneration: 2, conditions: suspended.conditions, nextRun: null });
    // A stale lastRun in the read object is never written back: only a run sets it.
    expect(patch?.status).not.toHaveProperty('lastRun');
  });

  it('after a real run records lastRun and handledRunNow and drops the stale dry-run planSummary', () => {
    const before: RetentionPolicyStatus = { ...current, planSummary: { deleteDigests: 3 } };
    const after = desiredStatus({
      metadata: { generation: 1 }, current: before, conditions: [ready, idle], nextRun: t1, now: t1,
      run: { lastRun: { result: 'Succeeded', digestsDeleted: 3 }, handledRunNow: 'now-1' },
    });
    expect(statusPatch(before, after)?.status).toEqual({ lastRun: { result: 'Succeeded', digestsDeleted: 3 }, handledRunNow: 'now-1', planSummary: null });
  });

  it('after a dry run keeps the new planSummary', () => {
    const after = desiredStatus({ metadata: { generation: 1 }, current, conditions: [ready, idle], nextRun: t1, now: t1, run: { lastRun: { result: 'DryRun' }, planSummary: { deleteDigests: 2 } } });
    expect(statusPatch(current, after)?.status).toEqual({ lastRun: { result: 'DryRun' }, planSummary: { deleteDigests: 2 } });
  });
});
