import { describe, expect, it } from 'vitest';
import type { V1Lease } from '@kubernetes/client-node';
import { ApiException } from '@kubernetes/client-node';
import { LeaderElector } from '../../../src/runtime/leader-election.js';
import type { KubeClients } from '../../../src/runtime/kube-client.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { ManualClock } from './manual-clock.js';

/**
 * An in-memory Lease store with the apiserver's optimistic concurrency: a replace whose
 * resourceVersion is stale gets 409, a create of an existing lease gets 409, a read of a
 * missing one 404. The real apiserver is exercised by the integration tests; this drives the
 * elector's timing (renew deadline, takeover, release) step by step without sleeping.
 */
class LeaseStore {
  lease: V1Lease | undefined;
  private version = 0;
  unreachableFor = new Set<string>();

  /** The three Lease requests LeaderElector makes, answered from memory with the apiserver's compare-and-swap. */
  client(identity: string): Pick<KubeClients, 'requestJson'> {
    const check = (): void => {
      if (this.unreachableFor.has(identity)) throw new Error('connect ECONNREFUSED');
    };
    const clone = (l: V1Lease): V1Lease => structuredClone(l);
    const requestJson = async (method: string, _path: string, options: { body?: unknown } = {}): Promise<V1Lease> => {
      check();
      // What goes over the wire is JSON: a Date in the body would not survive it either.
      const body = options.body === undefined ? undefined : (JSON.parse(JSON.stringify(options.body)) as V1Lease);
      if (method === 'GET') {
        if (!this.lease) throw new ApiException(404, 'not found', {}, {});
        return clone(this.lease);
      }
      if (!body) throw new Error(`${method} without a body`);
      if (method === 'POST' && this.lease) throw new ApiException(409, 'exists', {}, {});
      if (method === 'PUT' && body.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) throw new ApiException(409, 'conflict', {}, {});
      this.lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++this.version) } };
      return clone(this.lease);
    };
    return { requestJson } as unknown as Pick<KubeClients, 'requestJson'>;
  }
}

const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

function candidate(store: LeaseStore, clock: ManualClock, identity: string) {
  const log: string[] = [];
  const elector = new LeaderElector(
    { namespace: 'ops', leaseName: 'dockmaster', identity, ...timings },
    store.client(identity),
    { onStartedLeading: () => void log.push('started'), onStoppedLeading: () => void log.push('stopped') },
    silentLogger(),
    clock,
    () => 0, // no jitter: timings are exact
  );
  return { elector, log };
}

describe('LeaderElector', () => {
  it('one of two candidates leads and keeps renewing; the other waits', async () => {
    const clock = new ManualClock();
    const store = new LeaseStore();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    a.elector.start();
    await clock.advanceAsync(100, 100);
    b.elector.start();
    await clock.advanceAsync(60_000, 500);
    expect(a.elector.isLeader()).toBe(true);
    expect(b.elector.isLeader()).toBe(false);
    expect(store.lease?.spec?.holderIdentity).toBe('a');
    expect(b.log).toEqual([]);
    await b.elector.stop();
    await a.elector.stop();
  });

  it('a leader cut off from the apiserver steps down at the renew deadline; the other takes over after the lease duration', async () => {
    const clock = new ManualClock();
    const store = new LeaseStore();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    a.elector.start();
    await clock.advanceAsync(100, 100);
    b.elector.start();
    await clock.advanceAsync(4000, 500);
    store.unreachableFor.add('a');
    const cutAt = clock.now();
    let steppedDownAt: number | undefined;
    let takenOverAt: number | undefined;
    for (let t = 0; t < 30_000; t += 250) {
      await clock.advanceAsync(250);
      if (steppedDownAt === undefined && !a.elector.isLeader()) steppedDownAt = clock.now();
      if (takenOverAt === undefined && b.elector.isLeader()) takenOverAt = clock.now();
    }
    // Step down no later than renewDeadline (+ one retry period) after the last renewal.
    expect(steppedDownAt! - cutAt).toBeLessThanOrEqual(timings.renewDeadlineMs + timings.retryPeriodMs);
    // The follower waits out the lease from the last renewal it saw, then takes over.
    expect(takenOverAt! - cutAt).toBeGreaterThanOrEqual(timings.leaseDurationMs - timings.retryPeriodMs);
    expect(takenOverAt! - cutAt).toBeLessThanOrEqual(timings.leaseDurationMs + timings.retryPeriodMs);
    // Never two leaders at once.
    expect(steppedDownAt!).toBeLessThan(takenOverAt!);
    expect(a.log).toEqual(['started', 'stopped']);
    expect(store.lease?.spec?.holderIdentity).toBe('b');
    expect(store.lease?.spec?.leaseTransitions).toBe(1);
    store.unreachableFor.clear();
    await a.elector.stop();
    await b.elector.stop();
  });

  it('stop() runs onStoppedLeading, then releases the lease so the other takes over at its next retry', async () => {
    const clock = new ManualClock();
    const store = new LeaseStore();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    a.elector.start();
    await clock.advanceAsync(100, 100);
    b.elector.start();
    await clock.advanceAsync(4000, 500);
    const stopping = a.elector.stop();
    await clock.advanceAsync(100, 100);
    await stopping;
    expect(a.log).toEqual(['started', 'stopped']);
    expect(store.lease?.spec?.holderIdentity).toBe('');
    expect(store.lease?.spec?.leaseDurationSeconds).toBe(1);
    await clock.advanceAsync(timings.retryPeriodMs + 500, 250);
    expect(b.elector.isLeader()).toBe(true);
    await b.elector.stop();
  });

  it('a non-leader stop() writes nothing', async () => {
    const clock = new ManualClock();
    const store = new LeaseStore();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    a.elector.start();
    await clock.advanceAsync(100, 100);
    b.elector.start();
    await clock.advanceAsync(1000, 500);
    const before = store.lease?.metadata?.resourceVersion;
    await b.elector.stop();
    expect(store.lease?.metadata?.resourceVersion).toBe(before);
    await a.elector.stop();
  });
});
