import { describe, expect, it } from 'vitest';
import { decideWindowTrigger, MAX_IDLE_REQUEUE_MS } from '../../../src/gc/window-schedule.js';

const base = { schedule: '0 3 * * 0', timeZone: 'UTC', suspend: false, createdAt: new Date('2025-03-01T00:00:00Z') };

describe('decideWindowTrigger', () => {
  it('is due at the first tick after the last window (or creation)', () => {
    expect(decideWindowTrigger({ ...base, now: new Date('2025-03-02T02:59:00Z') })).toEqual({
      nextWindow: new Date('2025-03-02T03:00:00Z'), requeueAfterMs: 60_000,
    });
    expect(decideWindowTrigger({ ...base, now: new Date('2025-03-02T03:00:01Z') }).trigger).toBe('Schedule');
    expect(decideWindowTrigger({ ...base, lastWindowStart: new Date('2025-03-02T03:00:01Z'), now: new Date('2025-03-02T04:00:00Z') }).trigger).toBeUndefined();
  });

  it('collapses ticks missed while the operator was down into one window', () => {
    const decision = decideWindowTrigger({ ...base, now: new Date('2025-04-01T00:00:00Z') });
    expect(decision.trigger).toBe('Schedule');
    expect(decision.nextWindow).toEqual(new Date('2025-03-02T03:00:00Z'));
  });

  it('honours gc-now even when suspended; suspend stops the schedule', () => {
    expect(decideWindowTrigger({ ...base, suspend: true, gcNow: '2025-03-01T10:00:00Z', now: new Date('2025-03-01T10:00:00Z') }).trigger).toBe('GcNow');
    expect(decideWindowTrigger({ ...base, suspend: true, now: new Date('2025-04-01T00:00:00Z') })).toEqual({});
    expect(decideWindowTrigger({ ...base, gcNow: '  ', now: new Date('2025-03-01T10:00:00Z') }).trigger).toBeUndefined();
  });

  it('opens one window per gc-now value: the value recorded in status.handledGcNow never opens another', () => {
    const asked = '2025-03-01T10:00:00Z';
    const now = new Date('2025-03-01T10:00:00Z');
    expect(decideWindowTrigger({ ...base, gcNow: asked, now }).trigger).toBe('GcNow');
    expect(decideWindowTrigger({ ...base, gcNow: asked, handledGcNow: asked, now }).trigger).toBeUndefined();
    expect(decideWindowTrigger({ ...base, gcNow: '2025-03-01T11:00:00Z', handledGcNow: asked, now }).trigger).toBe('GcNow');
  });

  it('looks again at least hourly', () => {
    expect(decideWindowTrigger({ ...base, now: new Date('2025-03-01T00:00:00Z') }).requeueAfterMs).toBe(MAX_IDLE_REQUEUE_MS);
  });
});
