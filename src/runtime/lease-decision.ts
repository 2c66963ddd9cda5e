/**
 * The leader-election decision, as a pure function of (the lease as read, when we saw it change,
 * now, who we are). Mirrors client-go's LeaderElector.tryAcquireOrRenew so behaviour matches
 * what Kubernetes operators already do.
 */
export interface LeaseRecord {
  /** Empty when nobody holds the lease (after a graceful release). */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTimeMs?: number;
  renewTimeMs?: number;
  leaseTransitions: number;
}

/**
 * A lease record and the local time at which we first saw it in that state. Expiry is judged
 * from this local time, not from the record's renewTime: the holder's clock may be skewed from
 * ours, and client-go made the same choice for the same reason.
 */
export interface ObservedLease {
  record: LeaseRecord;
  observedAtMs: number;
}

export type LeaseDecision =
  | { action: 'create'; record: LeaseRecord }
  | { action: 'renew'; record: LeaseRecord }
  | { action: 'takeover'; record: LeaseRecord; previousHolder: string }
  | { action: 'wait'; holder: string; expiresInMs: number };

export interface LeaseDecisionInput {
  /** The lease as just read; undefined when it does not exist. */
  observed: ObservedLease | undefined;
  nowMs: number;
  identity: string;
  leaseDurationSeconds: number;
}

export function decideLease(input: LeaseDecisionInput): LeaseDecision {
  const { observed, nowMs, identity, leaseDurationSeconds } = input;
  if (!observed) {
    return {
      action: 'create',
      record: { holderIdentity: identity, leaseDurationSeconds, acquireTimeMs: nowMs, renewTimeMs: nowMs, leaseTransitions: 0 },
    };
  }
  const current = observed.record;
  if (current.holderIdentity === identity) {
    return {
      action: 'renew',
      record: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTimeMs: current.acquireTimeMs ?? nowMs,
        renewTimeMs: nowMs,
        leaseTransitions: current.leaseTransitions,
      },
    };
  }
  if (current.holderIdentity !== '') {
    const expiresAtMs = observed.observedAtMs + current.leaseDurationSeconds * 1000;
    if (expiresAtMs > nowMs) {
      return { action: 'wait', holder: current.holderIdentity, expiresInMs: expiresAtMs - nowMs };
    }
  }
  return {
    action: 'takeover',
    previousHolder: current.holderIdentity,
    record: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTimeMs: nowMs,
      renewTimeMs: nowMs,
      leaseTransitions: current.leaseTransitions + 1,
    },
  };
}

/**
 * What a leader writes when it steps down on purpose (client-go's ReleaseOnCancel): no holder and
 * a 1 s duration, so the next candidate takes over at its next try instead of waiting out the lease.
 */
export function releasedRecord(current: LeaseRecord, nowMs: number): LeaseRecord {
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTimeMs: nowMs,
    renewTimeMs: nowMs,
    leaseTransitions: current.leaseTransitions,
  };
}

/** Keeps the earlier observation time when the record did not change since we last read it. */
export function observeLease(previous: ObservedLease | undefined, record: LeaseRecord, nowMs: number): ObservedLease {
  if (previous && sameRecord(previous.record, record)) return previous;
  return { record, observedAtMs: nowMs };
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTimeMs === b.acquireTimeMs &&
    a.renewTimeMs === b.renewTimeMs &&
    a.leaseTransitions === b.leaseTransitions
  );
}
