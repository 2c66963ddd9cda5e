import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../../src/runtime/kube-client.js';
import { Informer } from '../../../src/runtime/informer.js';
import { createApiListerWatcher } from '../../../src/runtime/informer-source.js';
import { MANAGED_BY_SELECTOR, RESOURCES } from '../../../src/runtime/resources.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import { startOwnControlPlane, type TestControlPlane } from './cluster.js';
import { ensureNamespace, eventually } from './wait.js';
import { createTestKubeClients, type TestKubeClients } from '../../harness/typed-clients.js';

let plane: TestControlPlane;
let clients: TestKubeClients;
const namespace = `informer-${Date.now().toString(36)}`;

beforeAll(async () => {
  plane = await startOwnControlPlane();
  clients = createTestKubeClients(loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath }));
  await ensureNamespace(clients, namespace);
});

afterAll(async () => {
  await plane?.stop();
});

function configMapInformer(options: { labelSelector?: string; metrics?: RuntimeMetrics } = {}) {
  // Lists and watches both go through the clients' counted HTTP layer.
  const counted = options.metrics ? createTestKubeClients(clients.kubeConfig, options.metrics.observeApiRequest) : clients;
  const source = createApiListerWatcher<V1ConfigMap>(counted, RESOURCES.configMap, {
    namespace,
    labelSelector: options.labelSelector,
    pageSize: 2,
  });
  // Fast backoff: the restart test should not wait 30 s between attempts.
  const informer = new Informer<V1ConfigMap>(source, { name: 'configmaps', backoff: { baseMs: 100, capMs: 1000, jitter: 0 } });
  const events: string[] = [];
  informer.addHandlers({
    onAdd: (o) => events.push(`add ${o.metadata?.name}`),
    onUpdate: (a, b) => {
      if (a.metadata?.resourceVersion !== b.metadata?.resourceVersion) events.push(`update ${b.metadata?.name}`);
    },
    onDelete: (o) => events.push(`delete ${o.metadata?.name}`),
  });
  return { informer, events };
}

describe('Informer against the real apiserver', () => {
  it('lists across pages, then sees create, update and delete', async () => {
    for (const name of ['pre-1', 'pre-2', 'pre-3']) {
      await clients.core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { v: '1' } } });
    }
    const { informer, events } = configMapInformer();
    informer.start();
    await informer.waitForSync();
    // pageSize 2 forces the continue-token path for three objects.
    expect(informer.list(namespace).map((o) => o.metadata?.name).sort()).toEqual(['pre-1', 'pre-2', 'pre-3']);
    expect(informer.get(namespace, 'pre-1')?.kind).toBe('ConfigMap');

    await clients.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'live' }, data: { v: '1' } } });
    await eventually(() => expect(informer.get(namespace, 'live')?.data).toEqual({ v: '1' }));
    await clients.core.replaceNamespacedConfigMap({ name: 'live', namespace, body: { metadata: { name: 'live' }, data: { v: '2' } } });
    await eventually(() => expect(informer.get(namespace, 'live')?.data).toEqual({ v: '2' }));
    await clients.core.deleteNamespacedConfigMap({ name: 'live', namespace });
    await eventually(() => expect(informer.get(namespace, 'live')).toBeUndefined());
    expect(events.filter((e) => e.endsWith(' live'))).toEqual(['add live', 'update live', 'delete live']);
    await informer.stop();
  });

  it('a label-selected informer caches only matching objects', async () => {
    const metrics = new RuntimeMetrics();
    const { informer } = configMapInformer({ labelSelector: MANAGED_BY_SELECTOR, metrics });
    informer.start();
    await informer.waitForSync();
    await clients.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'ours', labels: { 'app.kubernetes.io/managed-by': 'dockmaster' } } } });
    await clients.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'theirs', labels: { 'app.kubernetes.io/managed-by': 'helm' } } } });
    await eventually(() => expect(informer.get(namespace, 'ours')).toBeDefined());
    // The apiserver filtered it: 'theirs' never reached us.
    expect(informer.get(namespace, 'theirs')).toBeUndefined();
    expect(informer.list().map((o) => o.metadata?.name)).toEqual(['ours']);
    const scraped = (await metrics.render()).body;
    expect(scraped).toContain('dockmaster_kube_api_requests_total{verb="list",resource="configmaps",code="200"} 1');
    expect(scraped).toContain('dockmaster_kube_api_requests_total{verb="watch",resource="configmaps",code="200"} 1');
    expect(metrics.writeRequestCount()).toBe(0);
    await informer.stop();
  });

  it('survives an apiserver restart and keeps following changes (resumed or re-listed)', async () => {
    if (!plane.restartApiServer) throw new Error('This control plane cannot restart its apiserver');
    const { informer, events } = configMapInformer();
    informer.start();
    await informer.waitForSync();
    await clients.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'doomed' } } });
    await eventually(() => expect(informer.get(namespace, 'doomed')).toBeDefined());

    await plane.restartApiServer();
    // A delete and a create made after the restart must both reach the cache.
    await clients.core.deleteNamespacedConfigMap({ name: 'doomed', namespace });
    await clients.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'after-restart' } } });
    await eventually(() => {
      expect(informer.get(namespace, 'after-restart')).toBeDefined();
      expect(informer.get(namespace, 'doomed')).toBeUndefined();
    }, 60_000);
    expect(events).toContain('delete doomed');
    // Whether it resumed the old watch or re-listed depends on timing: a restarted apiserver serves
    // watches from etcd until its watch cache is ready (no 410), and from the cache after (410 for
    // revisions before it). Both paths must end here; the 410 path itself is unit-tested.
    await informer.stop();
  });

});
