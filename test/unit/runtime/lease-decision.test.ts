import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideLease, observeLease, releasedRecord, type LeaseRecord } from '../../../src/runtime/lease-decision.js';

const T0 = 1_700_000_000_000;
const me = 'pod-a';
const other = 'pod-b';

function held(holder: string, transitions = 3, durationSeconds = 15): LeaseRecord {
  return { holderIdentity: holder, leaseDurationSeconds: durationSeconds, acquireTimeMs: T0 - 60_000, renewTimeMs: T0, leaseTransitions: transitions };
}

describe('decideLease', () => {
  it('creates the lease when none exists', () => {
    expect(decideLease({ observed: undefined, nowMs: T0, identity: me, leaseDurationSeconds: 15 })).toEqual({
      action: 'create',
      record: { holderIdentity: me, leaseDurationSeconds: 15, acquireTimeMs: T0, renewTimeMs: T0, leaseTransitions: 0 },
    });
  });

  it('renews its own lease, keeping acquireTime and transitions', () => {
    const d = decideLease({ observed: { record: held(me), observedAtMs: T0 }, nowMs: T0 + 2000, identity: me, leaseDurationSeconds: 15 });
    expect(d).toEqual({
      action: 'renew',
      record: { holderIdentity: me, leaseDurationSeconds: 15, acquireTimeMs: T0 - 60_000, renewTimeMs: T0 + 2000, leaseTransitions: 3 },
    });
  });

  it('renews its own lease even after it expired (nobody took it)', () => {
    const d = decideLease({ observed: { record: held(me), observedAtMs: T0 }, nowMs: T0 + 60_000, identity: me, leaseDurationSeconds: 15 });
    expect(d.action).toBe('renew');
  });

  it.each([
    [0, 'wait'],
    [14_999, 'wait'],
    [15_000, 'takeover'],
    [20_000, 'takeover'],
  ])('another holder observed %d ms ago → %s', (elapsed, action) => {
    const d = decideLease({ observed: { record: held(other), observedAtMs: T0 }, nowMs: T0 + elapsed, identity: me, leaseDurationSeconds: 15 });
    expect(d.action).toBe(action);
    if (d.action === 'wait') expect(d.expiresInMs).toBe(15_000 - elapsed);
    if (d.action === 'takeover') {
      expect(d.previousHolder).toBe(other);
      expect(d.record).toEqual({ holderIdentity: me, leaseDurationSeconds: 15, acquireTimeMs: T0 + elapsed, renewTimeMs: T0 + elapsed, leaseTransitions: 4 });
    }
  });

  it("judges expiry by the holder's own leaseDurationSeconds, not ours", () => {
    const observed = { record: held(other, 0, 60), observedAtMs: T0 };
    expect(decideLease({ observed, nowMs: T0 + 30_000, identity: me, leaseDurationSeconds: 15 }).action).toBe('wait');
    expect(decideLease({ observed, nowMs: T0 + 60_000, identity: me, leaseDurationSeconds: 15 }).action).toBe('takeover');
  });

  it("judges expiry by when we observed the record, not its renewTime (clock skew)", () => {
    // The holder's clock is an hour behind: its renewTime looks ancient, but we saw it change just now.
    const skewed = { ...held(other), renewTimeMs: T0 - 3_600_000 };
    expect(decideLease({ observed: { record: skewed, observedAtMs: T0 }, nowMs: T0 + 1000, identity: me, leaseDurationSeconds: 15 }).action).toBe('wait');
  });

  it('takes over a released lease at once', () => {
    const released = releasedRecord(held(other, 7), T0);
    const d = decideLease({ observed: { record: released, observedAtMs: T0 }, nowMs: T0, identity: me, leaseDurationSeconds: 15 });
    expect(d).toMatchObject({ action: 'takeover', previousHolder: '', record: { holderIdentity: me, leaseTransitions: 8 } });
  });

  it('property: exactly one of two candidates may act on a held, unexpired lease', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 0, max: 200_000 }), (duration, elapsed) => {
        const observed = { record: held(me, 1, duration), observedAtMs: T0 };
        const mine = decideLease({ observed, nowMs: T0 + elapsed, identity: me, leaseDurationSeconds: duration });
        const theirs = decideLease({ observed, nowMs: T0 + elapsed, identity: other, leaseDurationSeconds: duration });
        expect(mine.action).toBe('renew');
        expect(theirs.action).toBe(elapsed < duration * 1000 ? 'wait' : 'takeover');
      }),
    );
  });
});

describe('releasedRecord', () => {
  it('clears the holder, keeps transitions and shortens the lease to 1 s (client-go ReleaseOnCancel)', () => {
    expect(releasedRecord(held(me, 5), T0 + 1)).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTimeMs: T0 + 1,
      renewTimeMs: T0 + 1,
      leaseTransitions: 5,
    });
  });
});

describe('observeLease', () => {
  it('keeps the first observation time while the record is unchanged', () => {
    const first = observeLease(undefined, held(other), T0);
    const again = observeLease(first, held(other), T0 + 10_000);
    expect(again.observedAtMs).toBe(T0);
  });

  it('restarts the clock when the holder renews', () => {
    const first = observeLease(undefined, held(other), T0);
    const renewed = observeLease(first, { ...held(other), renewTimeMs: T0 + 2000 }, T0 + 10_000);
    expect(renewed.observedAtMs).toBe(T0 + 10_000);
  });
});
