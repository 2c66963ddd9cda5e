import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ControllerRunner, defineController, ownerKeys, type ReconcileContext, type ReconcileRequest } from '../../../src/runtime/controller.js';
import { discardingEventRecorder } from '../../../src/runtime/events.js';
import type { KubeClients } from '../../../src/runtime/kube-client.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import { RESOURCES } from '../../../src/runtime/resources.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { ManualClock, flushPromises } from './manual-clock.js';

const registryRef = { apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', name: 'main', uid: 'u1', controller: true };

describe('ownerKeys', () => {
  it.each([
    ['controller owner of the kind', [registryRef], ['ns/main']],
    ['owner at another version of the group', [{ ...registryRef, apiVersion: 'dockmaster.dev/v1' }], ['ns/main']],
    ['non-controller reference', [{ ...registryRef, controller: false }], []],
    ['controller flag absent', [{ ...registryRef, controller: undefined }], []],
    ['other kind', [{ ...registryRef, kind: 'RetentionPolicy' }], []],
    ['same kind, other group', [{ ...registryRef, apiVersion: 'example.com/v1' }], []],
    ['no owner references', undefined, []],
  ])('%s', (_label, ownerReferences, expected) => {
    const child: KubernetesObject = { metadata: { name: 'main-registry', namespace: 'ns', ownerReferences } };
    expect(ownerKeys(child, RESOURCES.registry)).toEqual(expected);
  });
});

describe('defineController', () => {
  const reconcile = async (): Promise<void> => undefined;
  it('accepts a plain definition and rejects bad names and worker counts', () => {
    expect(defineController({ name: 'registry', forResource: RESOURCES.registry, reconcile }).name).toBe('registry');
    expect(() => defineController({ name: 'Registry Controller', forResource: RESOURCES.registry, reconcile })).toThrow(/lowercase/);
    expect(() => defineController({ name: 'x', forResource: RESOURCES.registry, workers: 0, reconcile })).toThrow(/workers/);
  });
});

function runnerWith(reconcile: (req: ReconcileRequest, ctx: ReconcileContext) => Promise<{ requeueAfterMs?: number } | void>, primaries: string[] = []) {
  const clock = new ManualClock();
  const metrics = new RuntimeMetrics();
  const objects = primaries.map((key) => {
    const [namespace, name] = key.split('/');
    return { metadata: { namespace, name } } as KubernetesObject;
  });
  const runner = new ControllerRunner(
    defineController({ name: 'test', forResource: RESOURCES.registry, workers: 2, reconcile }),
    {
      logger: silentLogger(),
      metrics,
      clock,
      kube: {} as KubeClients,
      events: discardingEventRecorder,
      cache: <T extends KubernetesObject>() => ({ get: () => undefined, list: () => objects as T[] }),
    },
  );
  return { runner, clock, metrics };
}

async function metricValue(metrics: RuntimeMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const found = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return found?.value ?? 0;
}

describe('ControllerRunner', () => {
  it('enqueues every cached primary on start and reconciles each', async () => {
    const seen: string[] = [];
    const { runner, metrics } = runnerWith(async (req) => {
      seen.push(req.key);
    }, ['ns/a', 'ns/b']);
    runner.start();
    await flushPromises();
    expect(seen.sort()).toEqual(['ns/a', 'ns/b']);
    expect(await metricValue(metrics, 'dockmaster_reconcile_total', { controller: 'test', result: 'success' })).toBe(2);
    await runner.stop();
  });

  it('drops events while not leading', async () => {
    const seen: string[] = [];
    const { runner } = runnerWith(async (req) => {
      seen.push(req.key);
    });
    runner.enqueue('ns/a');
    await flushPromises();
    expect(seen).toEqual([]);
    expect(runner.isRunning()).toBe(false);
  });

  it('retries failures with exponential backoff and resets after success', async () => {
    let calls = 0;
    const { runner, clock, metrics } = runnerWith(async () => {
      calls++;
      if (calls <= 3) throw new Error('apiserver said no');
    });
    runner.start();
    runner.enqueue('ns/a');
    await flushPromises();
    expect(calls).toBe(1);
    await clock.advanceAsync(5);
    expect(calls).toBe(2);
    await clock.advanceAsync(9);
    expect(calls).toBe(2);
    await clock.advanceAsync(1);
    expect(calls).toBe(3);
    await clock.advanceAsync(20);
    expect(calls).toBe(4);
    expect(await metricValue(metrics, 'dockmaster_reconcile_total', { result: 'error' })).toBe(3);
    expect(await metricValue(metrics, 'dockmaster_workqueue_retries_total', { controller: 'test' })).toBe(3);
    await runner.stop();
  });

  it('requeues after the requested delay for time-driven work', async () => {
    let calls = 0;
    const { runner, clock, metrics } = runnerWith(async () => {
      calls++;
      return { requeueAfterMs: 60_000 };
    });
    runner.start();
    runner.enqueue('ns/a');
    await flushPromises();
    expect(calls).toBe(1);
    await clock.advanceAsync(59_999);
    expect(calls).toBe(1);
    await clock.advanceAsync(1);
    expect(calls).toBe(2);
    expect(await metricValue(metrics, 'dockmaster_reconcile_total', { result: 'requeue_after' })).toBe(2);
    await runner.stop();
  });

  it('gives each reconcile a logger and id, and stop waits for reconciles in flight', async () => {
    let release: () => void = () => undefined;
    const ids: string[] = [];
    let finished = false;
    const { runner } = runnerWith(async (_req, ctx) => {
      ids.push(ctx.reconcileId);
      await new Promise<void>((resolve) => (release = resolve));
      finished = true;
    });
    runner.start();
    runner.enqueue('ns/a');
    await flushPromises();
    let stopped = false;
    const stopping = runner.stop().then(() => (stopped = true));
    await flushPromises();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
