import { describe, expect, it } from 'vitest';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { Informer, LAST_APPLIED_ANNOTATION, slimForCache, type ListResult, type ListerWatcher, type WatchEvent } from '../../../src/runtime/informer.js';
import { ManualClock, flushPromises } from './manual-clock.js';

function cm(name: string, rv: string, labels: Record<string, string> = {}, namespace = 'ns'): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, resourceVersion: rv, labels } };
}

/** A scripted source: tests decide what each list returns and push watch events by hand. */
class ScriptedSource implements ListerWatcher<V1ConfigMap> {
  lists: Array<ListResult<V1ConfigMap> | Error> = [];
  watchStarts: string[] = [];
  watchFailures: Error[] = [];
  private active: { onEvent: (e: WatchEvent<V1ConfigMap>) => void; onDone: (err?: unknown) => void } | undefined;

  async list(): Promise<ListResult<V1ConfigMap>> {
    const next = this.lists.shift();
    if (!next) throw new Error('no list scripted');
    if (next instanceof Error) throw next;
    return next;
  }

  async watch(rv: string, onEvent: (e: WatchEvent<V1ConfigMap>) => void, onDone: (err?: unknown) => void) {
    this.watchStarts.push(rv);
    const failure = this.watchFailures.shift();
    if (failure) {
      onDone(failure);
      return { stop() {} };
    }
    let done = false;
    const finish = (err?: unknown): void => {
      if (done) return;
      done = true;
      this.active = undefined;
      onDone(err);
    };
    this.active = { onEvent, onDone: finish };
    return { stop: () => finish() };
  }

  emit(type: WatchEvent<V1ConfigMap>['type'], object: WatchEvent<V1ConfigMap>['object']): void {
    this.active?.onEvent({ type, object });
  }

  close(err?: unknown): void {
    this.active?.onDone(err);
  }

  isWatching(): boolean {
    return this.active !== undefined;
  }
}

function setup(resyncPeriodMs = 0) {
  const clock = new ManualClock();
  const source = new ScriptedSource();
  const informer = new Informer(source, { name: 'configmaps', clock, resyncPeriodMs });
  const events: string[] = [];
  informer.addHandlers({
    onAdd: (o) => events.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
    onUpdate: (a, b) => events.push(`update ${b.metadata?.name}@${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`),
    onDelete: (o) => events.push(`delete ${o.metadata?.name}`),
  });
  return { clock, source, informer, events };
}

describe('Informer', () => {
  it('lists, syncs, then follows watch events into the cache', async () => {
    const { clock, source, informer, events } = setup();
    source.lists.push({ items: [cm('a', '1'), cm('b', '2', { tier: 'web' })], resourceVersion: '10' });
    informer.start();
    await informer.waitForSync();
    await flushPromises();
    expect(informer.hasSynced()).toBe(true);
    expect(source.watchStarts).toEqual(['10']);
    source.emit('ADDED', cm('c', '11'));
    source.emit('MODIFIED', cm('a', '12'));
    source.emit('DELETED', cm('b', '13'));
    source.emit('BOOKMARK', { metadata: { resourceVersion: '20' } } as V1ConfigMap);
    expect(events).toEqual(['add a@1', 'add b@2', 'add c@11', 'update a@1->12', 'delete b']);
    expect(informer.get('ns', 'a')?.metadata?.resourceVersion).toBe('12');
    expect(informer.get('ns', 'b')).toBeUndefined();
    expect(informer.list().map((o) => o.metadata?.name).sort()).toEqual(['a', 'c']);
    // A clean close after a while re-watches at once, from the last resourceVersion seen (the bookmark's).
    clock.advance(5000);
    source.close();
    await flushPromises();
    expect(source.watchStarts.at(-1)).toBe('20');
    await informer.stop();
  });

  it('filters cached lists by namespace and label selector', async () => {
    const { source, informer } = setup();
    source.lists.push({ items: [cm('a', '1', { tier: 'web' }), cm('b', '2', {}, 'other'), cm('c', '3', { tier: 'db' })], resourceVersion: '5' });
    informer.start();
    await informer.waitForSync();
    expect(informer.list('ns').map((o) => o.metadata?.name)).toEqual(['a', 'c']);
    expect(informer.list(undefined, 'tier=web').map((o) => o.metadata?.name)).toEqual(['a']);
    expect(informer.list('other', 'tier')).toEqual([]);
    await informer.stop();
  });

  it('re-lists on a 410 ERROR event and reconciles the cache with deletes it missed', async () => {
    const { source, informer, events } = setup();
    source.lists.push({ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '10' });
    source.lists.push({ items: [cm('a', '1'), cm('c', '30')], resourceVersion: '31' });
    informer.start();
    await informer.waitForSync();
    await flushPromises();
    source.emit('ERROR', { code: 410, reason: 'Expired', message: 'too old resource version' });
    await flushPromises();
    expect(informer.listCount).toBe(2);
    expect(source.watchStarts).toEqual(['10', '31']);
    expect(events).toEqual(['add a@1', 'add b@2', 'delete b', 'add c@30']);
    await informer.stop();
  });

  it('re-lists when the watch ends with a 410 error', async () => {
    const { source, informer } = setup();
    source.lists.push({ items: [], resourceVersion: '10' }, { items: [], resourceVersion: '40' });
    informer.start();
    await informer.waitForSync();
    await flushPromises();
    source.close(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await flushPromises();
    expect(source.watchStarts).toEqual(['10', '40']);
    await informer.stop();
  });

  it('restarts a failed watch from the same resourceVersion after exponential backoff', async () => {
    const { clock, source, informer } = setup();
    source.lists.push({ items: [cm('a', '1')], resourceVersion: '10' });
    source.watchFailures.push(new Error('ECONNREFUSED'), new Error('ECONNREFUSED'));
    informer.start();
    await informer.waitForSync();
    await flushPromises();
    expect(source.watchStarts).toEqual(['10']);
    // First retry after ~800 ms (+ ≤10% jitter), second after ~1600 ms: no hot loop.
    await clock.advanceAsync(700, 100);
    expect(source.watchStarts).toHaveLength(1);
    await clock.advanceAsync(200, 100);
    expect(source.watchStarts).toHaveLength(2);
    await clock.advanceAsync(1500, 100);
    expect(source.watchStarts).toHaveLength(2);
    await clock.advanceAsync(300, 100);
    expect(source.watchStarts).toEqual(['10', '10', '10']);
    expect(source.isWatching()).toBe(true);
    expect(informer.listCount).toBe(1);
    await informer.stop();
  });

  it('retries a failed first list with backoff and syncs when it succeeds', async () => {
    const { clock, source, informer } = setup();
    source.lists.push(new Error('connection refused'), { items: [cm('a', '1')], resourceVersion: '3' });
    informer.start();
    await flushPromises();
    expect(informer.hasSynced()).toBe(false);
    await clock.advanceAsync(1000, 100);
    await informer.waitForSync();
    expect(informer.get('ns', 'a')).toBeDefined();
    await informer.stop();
  });

  it('backs off when the server closes watches immediately', async () => {
    const { clock, source, informer } = setup();
    source.lists.push({ items: [], resourceVersion: '1' });
    informer.start();
    await informer.waitForSync();
    await flushPromises();
    source.close();
    await flushPromises();
    expect(source.watchStarts).toHaveLength(1);
    await clock.advanceAsync(1000, 100);
    expect(source.watchStarts).toHaveLength(2);
    await informer.stop();
  });

  it('resyncs: re-delivers every cached object as an update with the same version', async () => {
    const { clock, source, informer, events } = setup(60_000);
    source.lists.push({ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '10' });
    informer.start();
    await informer.waitForSync();
    events.length = 0;
    clock.advance(60_000);
    expect(events).toEqual(['update a@1->1', 'update b@2->2']);
    clock.advance(60_000);
    expect(events).toHaveLength(4);
    await informer.stop();
    clock.advance(60_000);
    expect(events).toHaveLength(4);
  });

  it('replays cached objects to handlers added late, and survives a throwing handler', async () => {
    const { source, informer } = setup();
    source.lists.push({ items: [cm('a', '1')], resourceVersion: '10' });
    informer.start();
    await informer.waitForSync();
    await flushPromises();
    const late: string[] = [];
    informer.addHandlers({ onAdd: () => { throw new Error('bug'); } });
    const unsubscribe = informer.addHandlers({ onAdd: (o) => late.push(o.metadata!.name!) });
    source.emit('ADDED', cm('b', '11'));
    expect(late).toEqual(['a', 'b']);
    unsubscribe();
    source.emit('ADDED', cm('c', '12'));
    expect(late).toEqual(['a', 'b']);
    expect(informer.get('ns', 'c')).toBeDefined();
    await informer.stop();
  });

  it('does not emit an update when a watch repeats the cached version', async () => {
    const { source, informer, events } = setup();
    source.lists.push({ items: [cm('a', '1')], resourceVersion: '10' });
    informer.start();
    await informer.waitForSync();
    await flushPromises();
    source.emit('MODIFIED', cm('a', '1'));
    expect(events).toEqual(['add a@1']);
    await informer.stop();
  });

  it('releases whoever waits for a sync when stopped first (an unreachable apiserver must not keep the process up)', async () => {
    const clock = new ManualClock();
    const source = new ScriptedSource();
    // Every list fails: the informer retries with backoff and never syncs.
    source.lists.push(new Error('connection refused'), new Error('connection refused'));
    const informer = new Informer(source, { name: 'configmaps', clock, resyncPeriodMs: 0 });
    informer.start();
    let released = false;
    const waiting = informer.waitForSync().then(() => (released = true));
    await flushPromises();
    expect(released).toBe(false);
    await informer.stop();
    await waiting;
    expect(released).toBe(true);
    expect(informer.hasSynced()).toBe(false);
  });

  it('applies the transform to listed and watched objects before caching', async () => {
    const clock = new ManualClock();
    const source = new ScriptedSource();
    const informer = new Informer(source, { name: 'configmaps', clock, resyncPeriodMs: 0, transform: slimForCache });
    const withFields = (name: string, rv: string): V1ConfigMap => ({
      ...cm(name, rv),
      metadata: {
        ...cm(name, rv).metadata,
        annotations: { [LAST_APPLIED_ANNOTATION]: '{"big":"copy"}', kept: 'yes' },
        managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:data': {} }, time: new Date() }, { manager: 'k', operation: 'Update', subresource: 'status' }],
      },
    });
    source.lists.push({ items: [withFields('a', '1')], resourceVersion: '10' });
    informer.start();
    await informer.waitForSync();
    await flushPromises();
    source.emit('ADDED', withFields('b', '11'));
    for (const name of ['a', 'b']) {
      // Manager and operation stay (child-apply.ts reads them); the field sets and kubectl's copy go.
      expect(informer.get('ns', name)?.metadata?.managedFields).toEqual([{ manager: 'kubectl', operation: 'Update' }, { manager: 'k', operation: 'Update', subresource: 'status' }]);
      expect(informer.get('ns', name)?.metadata?.annotations).toEqual({ kept: 'yes' });
    }
    expect(informer.get('ns', 'b')?.metadata?.resourceVersion).toBe('11');
    await informer.stop();
  });

  it('leaves an object without bookkeeping as it is', () => {
    const plain = cm('plain', '1');
    expect(slimForCache(plain)).toBe(plain);
  });
});

describe('InformerGroup (one informer per watched namespace)', () => {
  async function group() {
    const clock = new ManualClock();
    const sources = { a: new ScriptedSource(), b: new ScriptedSource() };
    sources.a.lists.push({ items: [cm('x', '1', { app: 'r' }, 'a')], resourceVersion: '1' });
    sources.b.lists.push({ items: [cm('x', '2', {}, 'b'), cm('y', '3', { app: 'r' }, 'b')], resourceVersion: '3' });
    const { InformerGroup } = await import('../../../src/runtime/informer-group.js');
    const members = new Map(Object.entries(sources).map(([ns, source]) => [ns, new Informer(source, { name: 'configmaps', clock, resyncPeriodMs: 0 })]));
    return { sources, informers: new InformerGroup(members) };
  }

  it('syncs when every namespace has synced, reads each namespace from its own informer, and lists across them', async () => {
    const { informers } = await group();
    const added: string[] = [];
    informers.addHandlers({ onAdd: (o) => added.push(`${o.metadata?.namespace}/${o.metadata?.name}`) });
    informers.start();
    await informers.waitForSync();
    expect(informers.hasSynced()).toBe(true);
    expect(added.sort()).toEqual(['a/x', 'b/x', 'b/y']);
    expect(informers.get('b', 'x')?.metadata?.resourceVersion).toBe('2');
    expect(informers.get('c', 'x')).toBeUndefined();
    expect(informers.get(undefined, 'x')).toBeUndefined();
    expect(informers.list().map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`).sort()).toEqual(['a/x', 'b/x', 'b/y']);
    expect(informers.list(undefined, 'app=r').map((o) => o.metadata?.namespace).sort()).toEqual(['a', 'b']);
    expect(informers.list('a').map((o) => o.metadata?.name)).toEqual(['x']);
    expect(informers.list('c')).toEqual([]);
    await informers.stop();
  });

  it('delivers watch events of every namespace to one set of handlers, and unsubscribes from all', async () => {
    const { informers, sources } = await group();
    const seen: string[] = [];
    const remove = informers.addHandlers({ onUpdate: (_o, n) => seen.push(`${n.metadata?.namespace}/${n.metadata?.name}`) });
    informers.start();
    await informers.waitForSync();
    await flushPromises();
    sources.b.emit('MODIFIED', cm('y', '4', {}, 'b'));
    sources.a.emit('MODIFIED', cm('x', '5', {}, 'a'));
    expect(seen).toEqual(['b/y', 'a/x']);
    remove();
    sources.a.emit('MODIFIED', cm('x', '6', {}, 'a'));
    expect(seen).toHaveLength(2);
    await informers.stop();
  });
});
