import { describe, expect, it } from 'vitest';
import { decideScheduledRun, isRunNowPending, MAX_REQUEUE_MS, type ScheduleInput } from '../../../src/api/run-schedule.js';

const at = (iso: string): Date => new Date(iso);
const base: ScheduleInput = { schedule: '0 2 * * *', timeZone: 'UTC', suspend: false, createdAt: at('2026-03-01T00:00:00Z'), now: at('2026-03-01T01:00:00Z') };

describe('decideScheduledRun', () => {
  it('is not due before the first tick after creation, and requeues until it', () => {
    const d = decideScheduledRun(base);
    expect(d.trigger).toBeUndefined();
    expect(d.nextRun?.toISOString()).toBe('2026-03-01T02:00:00.000Z');
    expect(d.requeueAfterMs).toBe(60 * 60_000);
  });

  it('is due at the tick and after it', () => {
    expect(decideScheduledRun({ ...base, now: at('2026-03-01T02:00:00Z') }).trigger).toBe('Schedule');
    expect(decideScheduledRun({ ...base, now: at('2026-03-01T02:00:05Z') }).trigger).toBe('Schedule');
  });

  it('counts from the last run start: after a run the next tick is tomorrow', () => {
    const d = decideScheduledRun({ ...base, lastRunStart: at('2026-03-01T02:00:01Z'), now: at('2026-03-01T02:01:00Z') });
    expect(d.trigger).toBeUndefined();
    expect(d.nextRun?.toISOString()).toBe('2026-03-02T02:00:00.000Z');
  });

  it('collapses ticks missed while the operator was down into one run', () => {
    const now = at('2026-03-05T12:00:00Z');
    const before = decideScheduledRun({ ...base, lastRunStart: at('2026-03-01T02:00:00Z'), now });
    expect(before.trigger).toBe('Schedule');
    // The run starts now: the next tick is the next one after now, not the missed ones.
    const after = decideScheduledRun({ ...base, lastRunStart: now, now: at('2026-03-05T12:00:30Z') });
    expect(after.trigger).toBeUndefined();
    expect(after.nextRun?.toISOString()).toBe('2026-03-06T02:00:00.000Z');
  });

  it('reads the schedule in timeZone', () => {
    const d = decideScheduledRun({ ...base, timeZone: 'Europe/Paris', now: at('2026-03-01T00:30:00Z') });
    // 02:00 in Paris (UTC+1 in March before DST) is 01:00 UTC.
    expect(d.nextRun?.toISOString()).toBe('2026-03-01T01:00:00.000Z');
  });

  it('has no schedule when suspended or without one: no nextRun, no requeue, never due by time', () => {
    for (const input of [{ ...base, suspend: true }, { ...base, schedule: undefined }]) {
      const d = decideScheduledRun({ ...input, now: at('2027-01-01T00:00:00Z') });
      expect(d).toEqual({});
    }
  });

  it('runs on a new run-now value, even when suspended or without schedule; never twice for one value', () => {
    expect(decideScheduledRun({ ...base, runNow: '2026-03-01T01:00:00Z' }).trigger).toBe('RunNow');
    expect(decideScheduledRun({ ...base, suspend: true, runNow: 'a' }).trigger).toBe('RunNow');
    expect(decideScheduledRun({ ...base, schedule: undefined, runNow: 'a' }).trigger).toBe('RunNow');
    expect(decideScheduledRun({ ...base, runNow: 'a', handledRunNow: 'a' }).trigger).toBeUndefined();
    expect(decideScheduledRun({ ...base, runNow: 'b', handledRunNow: 'a' }).trigger).toBe('RunNow');
  });

  it('caps the requeue so a far tick is never one overflowing timer', () => {
    const d = decideScheduledRun({ ...base, schedule: '@yearly' });
    expect(d.requeueAfterMs).toBe(MAX_REQUEUE_MS);
  });
});

describe('isRunNowPending', () => {
  it.each([
    [undefined, undefined, false],
    ['', undefined, false],
    ['  ', undefined, false],
    ['x', undefined, true],
    ['x', 'x', false],
    ['y', 'x', true],
  ])('annotation %j handled %j → %j', (value, handled, expected) => {
    expect(isRunNowPending(value, handled)).toBe(expected);
  });
});
