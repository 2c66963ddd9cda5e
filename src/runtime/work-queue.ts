import { KeyedBackoff, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { systemClock, type Clock, type Timer } from './clock.js';

/**
 * A work queue of reconcile keys (`namespace/name`) with client-go's guarantees:
 * - a key added while it waits is queued once (dirty set);
 * - a key added while a worker holds it is queued again only after `done` (processing set), so
 *   two workers never reconcile the same object at once;
 * - `addAfter` delays a key; when several delays are pending for one key the earliest wins;
 * - `addRateLimited` delays by the key's exponential backoff; `forget` resets it.
 */
export interface WorkQueueOptions {
  clock?: Clock;
  backoff?: BackoffPolicy;
  random?: () => number;
}

interface PendingDelay {
  readyAt: number;
  timer: Timer;
}

export class WorkQueue {
  private readonly clock: Clock;
  private readonly backoff: KeyedBackoff;
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, PendingDelay>();
  private readonly waitingGetters: Array<(key: string | undefined) => void> = [];
  private readonly drainWaiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.backoff = new KeyedBackoff(options.backoff ?? DEFAULT_BACKOFF, options.random);
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    // The worker holding it will requeue it in `done`; queuing now would let a second worker in.
    if (this.processing.has(key)) return;
    this.push(key);
  }

  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.readyAt <= readyAt) return;
    pending?.timer.cancel();
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { readyAt, timer });
  }

  /**
   * Drops the key's pending delay and backoff: its object is gone. Without this a deleted
   * object's wake-up (up to an hour away for a RetentionPolicy schedule) holds a timer until it
   * fires; the soak bench counted one per RetentionPolicy ever deleted.
   */
  cancelDelayed(key: string): void {
    this.delayed.get(key)?.timer.cancel();
    this.delayed.delete(key);
    this.backoff.forget(key);
  }

  /** Requeues `key` after its next backoff delay; returns the delay chosen. */
  addRateLimited(key: string): number {
    const delayMs = this.backoff.next(key);
    this.addAfter(key, delayMs);
    return delayMs;
  }

  /** The key succeeded: its next failure starts from the base delay again. */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  retries(key: string): number {
    return this.backoff.retries(key);
  }

  /** Waits for the next key; `undefined` once the queue shuts down. */
  get(): Promise<string | undefined> {
    const key = this.take();
    if (key !== undefined || this.shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.waitingGetters.push(resolve));
  }

  /** The worker finished `key`; if it was added meanwhile it goes back in line. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.push(key);
    }
    if (this.processing.size === 0) {
      for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  /** Keys waiting for a worker (not counting delayed ones or those in flight). */
  depth(): number {
    return this.queue.length;
  }

  inFlight(): number {
    return this.processing.size;
  }

  delayedCount(): number {
    return this.delayed.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Stops handing out keys and resolves once every key in flight is `done`. Keys still queued or
   * delayed are dropped: reconcile is level-based, so whoever runs next re-lists and redoes them.
   */
  shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const pending of this.delayed.values()) pending.timer.cancel();
    this.delayed.clear();
    this.queue.length = 0;
    this.dirty.clear();
    for (const resolve of this.waitingGetters.splice(0)) resolve(undefined);
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private push(key: string): void {
    const getter = this.waitingGetters.shift();
    if (getter) {
      this.dirty.delete(key);
      this.processing.add(key);
      getter(key);
      return;
    }
    this.queue.push(key);
  }

  private take(): string | undefined {
    const key = this.queue.shift();
    if (key === undefined) return undefined;
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}
