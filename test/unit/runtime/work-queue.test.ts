import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../../src/runtime/work-queue.js';
import { backoffDelayMs, KeyedBackoff } from '../../../src/runtime/backoff.js';
import { ManualClock, flushPromises } from './manual-clock.js';

function newQueue(clock = new ManualClock()): { queue: WorkQueue; clock: ManualClock } {
  return { queue: new WorkQueue({ clock }), clock };
}

describe('WorkQueue deduplication', () => {
  it('queues a key added twice while waiting only once', async () => {
    const { queue } = newQueue();
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    expect(queue.depth()).toBe(2);
    expect(await queue.get()).toBe('ns/a');
    expect(await queue.get()).toBe('ns/b');
    expect(queue.depth()).toBe(0);
  });

  it('never hands a key in flight to a second worker; requeues it after done', async () => {
    const { queue } = newQueue();
    queue.add('ns/a');
    const first = await queue.get();
    expect(first).toBe('ns/a');
    queue.add('ns/a');
    queue.add('ns/a');
    expect(queue.depth()).toBe(0);
    let second: string | undefined = 'pending';
    void queue.get().then((k) => (second = k));
    await flushPromises();
    expect(second).toBe('pending');
    queue.done('ns/a');
    await flushPromises();
    expect(second).toBe('ns/a');
    expect(queue.inFlight()).toBe(1);
  });

  it('does not requeue a key on done when nobody added it meanwhile', async () => {
    const { queue } = newQueue();
    queue.add('ns/a');
    await queue.get();
    queue.done('ns/a');
    expect(queue.depth()).toBe(0);
    expect(queue.inFlight()).toBe(0);
  });

  it('keeps FIFO order across keys', async () => {
    const { queue } = newQueue();
    for (const k of ['c', 'a', 'b']) queue.add(k);
    expect([await queue.get(), await queue.get(), await queue.get()]).toEqual(['c', 'a', 'b']);
  });

  it('wakes a waiting getter when a key arrives', async () => {
    const { queue } = newQueue();
    const got = queue.get();
    queue.add('ns/x');
    expect(await got).toBe('ns/x');
    expect(queue.inFlight()).toBe(1);
  });
});

describe('WorkQueue delays', () => {
  it('addAfter delivers the key only when the delay passes', () => {
    const { queue, clock } = newQueue();
    queue.addAfter('ns/a', 1000);
    expect(queue.depth()).toBe(0);
    expect(queue.delayedCount()).toBe(1);
    clock.advance(999);
    expect(queue.depth()).toBe(0);
    clock.advance(1);
    expect(queue.depth()).toBe(1);
    expect(queue.delayedCount()).toBe(0);
  });

  it('the earliest pending time wins for one key', () => {
    const { queue, clock } = newQueue();
    queue.addAfter('ns/a', 5000);
    queue.addAfter('ns/a', 1000);
    queue.addAfter('ns/a', 3000);
    clock.advance(1000);
    expect(queue.depth()).toBe(1);
    clock.advance(10_000);
    // The later delays were superseded, not stacked.
    expect(queue.depth()).toBe(1);
  });

  it('cancelDelayed drops the pending delay and the backoff of a key, and only of that key', () => {
    const { queue, clock } = newQueue();
    queue.addAfter('ns/a', 1000);
    queue.addAfter('ns/b', 1000);
    queue.addRateLimited('ns/c');
    queue.addRateLimited('ns/c');
    queue.cancelDelayed('ns/a');
    queue.cancelDelayed('ns/c');
    expect(queue.delayedCount()).toBe(1);
    expect(queue.retries('ns/c')).toBe(0);
    clock.advance(60_000);
    expect(queue.depth()).toBe(1);
  });

  it('addAfter with zero or negative delay adds immediately', () => {
    const { queue } = newQueue();
    queue.addAfter('ns/a', 0);
    queue.addAfter('ns/b', -5);
    expect(queue.depth()).toBe(2);
  });

  it('a delayed key that is already queued is not queued twice', () => {
    const { queue, clock } = newQueue();
    queue.add('ns/a');
    queue.addAfter('ns/a', 10);
    clock.advance(10);
    expect(queue.depth()).toBe(1);
  });
});

describe('WorkQueue backoff', () => {
  it('doubles from 5 ms per failure and resets on forget', () => {
    const { queue } = newQueue();
    expect(queue.addRateLimited('k')).toBe(5);
    expect(queue.addRateLimited('k')).toBe(10);
    expect(queue.addRateLimited('k')).toBe(20);
    expect(queue.retries('k')).toBe(3);
    expect(queue.addRateLimited('other')).toBe(5);
    queue.forget('k');
    expect(queue.retries('k')).toBe(0);
    expect(queue.addRateLimited('k')).toBe(5);
  });

  it('requeues a failed key after its backoff', () => {
    const { queue, clock } = newQueue();
    queue.addRateLimited('k');
    clock.advance(4);
    expect(queue.depth()).toBe(0);
    clock.advance(1);
    expect(queue.depth()).toBe(1);
  });

  it('backoffDelayMs caps and never overflows', () => {
    const policy = { baseMs: 5, capMs: 300_000, jitter: 0 };
    expect(backoffDelayMs(0, policy)).toBe(5);
    expect(backoffDelayMs(10, policy)).toBe(5120);
    expect(backoffDelayMs(16, policy)).toBe(300_000);
    expect(backoffDelayMs(5000, policy)).toBe(300_000);
    expect(backoffDelayMs(-1, policy)).toBe(5);
  });

  it('jitter adds at most the configured fraction', () => {
    const policy = { baseMs: 100, capMs: 1000, jitter: 0.5 };
    expect(backoffDelayMs(0, policy, () => 0)).toBe(100);
    expect(backoffDelayMs(0, policy, () => 0.999)).toBeCloseTo(149.95);
    expect(backoffDelayMs(20, policy, () => 0.999)).toBeLessThanOrEqual(1500);
  });

  it('KeyedBackoff counts per key', () => {
    const b = new KeyedBackoff({ baseMs: 1, capMs: 8, jitter: 0 });
    expect([b.next('a'), b.next('a'), b.next('a'), b.next('a'), b.next('a')]).toEqual([1, 2, 4, 8, 8]);
    expect(b.retries('a')).toBe(5);
    expect(b.retries('b')).toBe(0);
  });
});

describe('WorkQueue shutdown', () => {
  it('wakes idle getters with undefined and ignores later adds', async () => {
    const { queue } = newQueue();
    const waiting = queue.get();
    await queue.shutdown();
    expect(await waiting).toBeUndefined();
    queue.add('ns/a');
    queue.addAfter('ns/b', 10);
    expect(queue.depth()).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('resolves only after in-flight keys are done, and drops queued and delayed ones', async () => {
    const { queue, clock } = newQueue();
    queue.add('ns/a');
    queue.add('ns/b');
    queue.addAfter('ns/c', 100);
    expect(await queue.get()).toBe('ns/a');
    let drained = false;
    const shutdown = queue.shutdown().then(() => (drained = true));
    expect(queue.depth()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    await flushPromises();
    expect(drained).toBe(false);
    queue.add('ns/a');
    queue.done('ns/a');
    await shutdown;
    expect(drained).toBe(true);
    expect(queue.depth()).toBe(0);
  });
});

describe('WorkQueue with concurrent workers', () => {
  it('processes every key, never two workers on one key', async () => {
    const { queue } = newQueue();
    const active = new Set<string>();
    let overlap = false;
    const processed: string[] = [];
    const worker = async (): Promise<void> => {
      for (;;) {
        const key = await queue.get();
        if (key === undefined) return;
        if (active.has(key)) overlap = true;
        active.add(key);
        await flushPromises(1);
        // Events keep arriving for the key being processed.
        if (processed.length < 30) queue.add(key);
        processed.push(key);
        active.delete(key);
        queue.done(key);
      }
    };
    for (let i = 0; i < 10; i++) queue.add(`ns/${i % 3}`);
    const workers = [worker(), worker(), worker(), worker()];
    while (processed.length < 30 || queue.depth() > 0 || queue.inFlight() > 0) await flushPromises(1);
    await queue.shutdown();
    await Promise.all(workers);
    expect(overlap).toBe(false);
    expect(new Set(processed)).toEqual(new Set(['ns/0', 'ns/1', 'ns/2']));
  });
});
