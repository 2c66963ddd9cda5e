/**
 * Per-key exponential backoff, the shape of client-go's ItemExponentialFailureRateLimiter:
 * delay = base · 2^(failures) capped at `capMs`, counted per key and reset by `forget`.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** Fraction of random spread added on top (0 = none, 0.1 = up to +10%). */
  jitter: number;
}

/** controller-runtime's defaults: 5 ms doubling up to 1000 s; we cap at 5 minutes. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5, capMs: 5 * 60_000, jitter: 0 };

/** Delay before retry number `failures` (0 = first retry). Pure; `random` is injected. */
export function backoffDelayMs(
  failures: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  // 2^failures overflows to Infinity past ~1024; clamp the exponent first so the cap holds.
  const exponent = Math.min(Math.max(0, failures), 62);
  const raw = Math.min(policy.baseMs * 2 ** exponent, policy.capMs);
  if (policy.jitter <= 0) return raw;
  return Math.min(raw + raw * policy.jitter * random(), policy.capMs * (1 + policy.jitter));
}

/** Counts failures per key and hands out the next delay. */
export class KeyedBackoff {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly policy: BackoffPolicy = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  next(key: string): number {
    const count = this.failures.get(key) ?? 0;
    this.failures.set(key, count + 1);
    return backoffDelayMs(count, this.policy, this.random);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}
