import { describe, expect, it } from 'vitest';
import { BackgroundWork, type BackgroundResult } from '../../../src/runtime/background-work.js';

/** Work that ends when the test says so, or when aborted. */
function gate() {
  let release!: (result?: BackgroundResult) => void;
  const done = new Promise<BackgroundResult | undefined>((resolve) => (release = resolve));
  return {
    release,
    task: (signal: AbortSignal) =>
      new Promise<BackgroundResult | void>((resolve) => {
        void done.then((r) => resolve(r));
        signal.addEventListener('abort', () => resolve({}));
      }),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function pool(slots: number, slotsPerGroup: number) {
  const settled: Array<[string, BackgroundResult]> = [];
  const errors: string[] = [];
  const work = new BackgroundWork({ slots, slotsPerGroup, onSettled: (key, r) => settled.push([key, r]), onError: (key) => errors.push(key) });
  return { work, settled, errors };
}

describe('BackgroundWork (run slots off the reconcile workers)', () => {
  it('runs up to its slots at once and queues the rest, FIFO within a group', async () => {
    const { work, settled } = pool(2, 2);
    const gates = { a: gate(), b: gate(), c: gate() };
    expect(work.submit('ns/a', 'ns', gates.a.task)).toEqual({ accepted: true, started: true, ahead: 0 });
    expect(work.submit('ns/b', 'ns', gates.b.task)).toEqual({ accepted: true, started: true, ahead: 0 });
    expect(work.submit('ns/c', 'ns', gates.c.task)).toEqual({ accepted: true, started: false, ahead: 0 });
    expect(work.counts()).toEqual({ running: 2, queued: 1 });
    gates.a.release({ requeueAfterMs: 5 });
    await tick();
    expect(settled).toEqual([['ns/a', { requeueAfterMs: 5 }]]);
    expect(work.isRunning('ns/c')).toBe(true);
    await work.stop();
  });

  it('never queues a key twice: a key with work queued or running is refused', () => {
    const { work } = pool(1, 1);
    const g = gate();
    work.submit('ns/a', 'ns', g.task);
    expect(work.submit('ns/a', 'ns', gate().task)).toMatchObject({ accepted: false, started: true });
    work.submit('ns/b', 'ns', gate().task);
    expect(work.isActive('ns/b')).toBe(true);
    expect(work.submit('ns/b', 'ns', gate().task)).toMatchObject({ accepted: false, started: false });
    void work.stop();
  });

  it('caps each group, so one namespace of slow work leaves slots for the others', async () => {
    const { work } = pool(3, 1);
    const hostile = [gate(), gate(), gate(), gate()];
    hostile.forEach((g, i) => work.submit(`evil/p${i}`, 'evil', g.task));
    expect(work.counts()).toEqual({ running: 1, queued: 3 });
    expect(work.submit('good/p', 'good', gate().task).started).toBe(true);
    expect(work.submit('other/p', 'other', gate().task).started).toBe(true);
    await work.stop();
  });

  it('hands freed slots to groups in turn (round robin), not to the group that queued most', async () => {
    const { work } = pool(1, 1);
    const order: string[] = [];
    const first = gate();
    work.submit('a/0', 'a', first.task);
    const record = (key: string) => async () => void order.push(key);
    for (const key of ['a/1', 'a/2', 'a/3']) work.submit(key, 'a', record(key));
    for (const key of ['b/1', 'b/2']) work.submit(key, 'b', record(key));
    work.submit('c/1', 'c', record('c/1'));
    first.release();
    for (let i = 0; i < 20; i++) await tick();
    expect(order).toEqual(['a/1', 'b/1', 'c/1', 'a/2', 'b/2', 'a/3']);
  });

  it('reports work that throws and frees its slot', async () => {
    const { work, settled, errors } = pool(1, 1);
    work.submit('ns/bad', 'ns', async () => {
      throw new Error('boom');
    });
    const ran: string[] = [];
    work.submit('ns/next', 'ns', async () => void ran.push('next'));
    for (let i = 0; i < 5; i++) await tick();
    expect(errors).toEqual(['ns/bad']);
    expect(ran).toEqual(['next']);
    expect(settled.map(([key]) => key)).toEqual(['ns/bad', 'ns/next']);
  });

  it('stop aborts running work through its signal, drops what waits (settling it), and takes nothing more', async () => {
    const { work, settled } = pool(1, 1);
    let aborted = false;
    work.submit('ns/a', 'ns', (signal) => new Promise((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve()))));
    work.submit('ns/b', 'ns', gate().task);
    await work.stop();
    expect(aborted).toBe(true);
    expect(settled.map(([key]) => key).sort()).toEqual(['ns/a', 'ns/b']);
    expect(work.submit('ns/c', 'ns', gate().task).accepted).toBe(false);
    expect(work.counts()).toEqual({ running: 0, queued: 0 });
  });

  it('tells work whether it waited in the queue (a free slot at submit: it did not)', async () => {
    const { work } = pool(1, 1);
    const waitedBy: Record<string, boolean> = {};
    const first = gate();
    work.submit('ns/a', 'ns', (signal, waited) => ((waitedBy.a = waited), first.task(signal)));
    work.submit('ns/b', 'ns', async (_signal, waited) => void (waitedBy.b = waited));
    expect(waitedBy).toEqual({ a: false });
    first.release();
    for (let i = 0; i < 5; i++) await tick();
    expect(waitedBy).toEqual({ a: false, b: true });
  });

  it('refuses zero slots', () => {
    expect(() => new BackgroundWork({ slots: 0, slotsPerGroup: 1, onSettled: () => undefined })).toThrow(RangeError);
  });
});
