import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreV1Event, V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import { apiErrorStatus, loadKubeConfig, serverSideApply } from '../../../src/runtime/kube-client.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import { defineController } from '../../../src/runtime/controller.js';
import { KubeEventRecorder } from '../../../src/runtime/events.js';
import { buildHealthServer } from '../../../src/runtime/health.js';
import { Manager } from '../../../src/runtime/manager.js';
import { RESOURCES } from '../../../src/runtime/resources.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { startOwnControlPlane, type TestControlPlane } from './cluster.js';
import { ensureNamespace, eventually } from './wait.js';
import { createTestKubeClients, type TestKubeClients } from '../../harness/typed-clients.js';

let plane: TestControlPlane;
let clients: TestKubeClients;
const namespace = `manager-${Date.now().toString(36)}`;

beforeAll(async () => {
  plane = await startOwnControlPlane();
  clients = createTestKubeClients(loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath }));
  await ensureNamespace(clients, namespace);
});

afterAll(async () => {
  await plane?.stop();
});

/**
 * A level-based toy controller: every ConfigMap labelled `demo=true` owns one Secret
 * `<name>-child`. It writes only when the cached Secret is missing, like a real reconcile.
 */
const childController = defineController({
  name: 'configmap-child',
  forResource: RESOURCES.configMap,
  owns: [RESOURCES.secret],
  workers: 2,
  async reconcile(request, ctx) {
    const parent = ctx.cache<V1ConfigMap>(RESOURCES.configMap).get(request.namespace, request.name);
    if (!parent || parent.metadata?.labels?.demo !== 'true') return;
    const childName = `${request.name}-child`;
    if (ctx.cache<V1Secret>(RESOURCES.secret).get(request.namespace, childName)) return;
    try {
      await ctx.kube.requestJson('POST', `/api/v1/namespaces/${request.namespace}/secrets`, {
        body: {
          metadata: {
            name: childName,
            labels: { 'app.kubernetes.io/managed-by': 'dockmaster' },
            ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: request.name, uid: parent.metadata!.uid!, controller: true }],
          },
          stringData: { from: request.name },
        },
      });
    } catch (err) {
      // The cache lags our own write by one watch event; a 409 means it is already there.
      if (apiErrorStatus(err) !== 409) throw err;
    }
    ctx.events.record(parent, 'Normal', 'ChildCreated', `Created Secret ${childName}`);
  },
});

describe('Manager on the real apiserver', () => {
  it('reconciles, follows owned children, resyncs without writing, and serves metrics', async () => {
    const manager = new Manager({
      kubeConfig: clients.kubeConfig,
      logger: silentLogger(),
      namespaces: [namespace],
      controllers: [childController],
      leaderElection: false,
      resyncPeriodMs: 1000,
    });
    await manager.start();
    expect(manager.isReady()).toBe(true);
    expect(manager.isLeader()).toBe(true);

    await clients.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'app', labels: { demo: 'true' } } } });
    await eventually(async () => expect((await clients.core.readNamespacedSecret({ name: 'app-child', namespace })).data?.from).toBeDefined());

    // Deleting the owned child wakes its owner through the ownerReference; the child comes back.
    const firstUid = (await clients.core.readNamespacedSecret({ name: 'app-child', namespace })).metadata?.uid;
    await clients.core.deleteNamespacedSecret({ name: 'app-child', namespace });
    await eventually(async () => {
      const again = await clients.core.readNamespacedSecret({ name: 'app-child', namespace });
      expect(again.metadata?.uid).not.toBe(firstUid);
    });

    // Idle: several resync periods pass, every object is reconciled again, nothing is written.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const writesBefore = manager.metrics.writeRequestCount();
    const reconcilesBefore = await reconcileCount(manager);
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(await reconcileCount(manager)).toBeGreaterThan(reconcilesBefore);
    expect(manager.metrics.writeRequestCount()).toBe(writesBefore);

    const health = buildHealthServer({ metrics: manager.metrics, isReady: () => manager.isReady() });
    expect((await health.inject({ url: '/readyz' })).statusCode).toBe(200);
    const scraped = (await health.inject({ url: '/metrics' })).body;
    expect(scraped).toMatch(/dockmaster_reconcile_total\{controller="configmap-child",result="success"\} \d+/);
    expect(scraped).toMatch(/dockmaster_kube_api_requests_total\{verb="create",resource="secrets",code="201"\} 2/);
    expect(scraped).toMatch(/dockmaster_kube_api_requests_total\{verb="watch",resource="secrets",code="200"\} \d+/);
    expect(scraped).toContain('dockmaster_workqueue_depth{controller="configmap-child"} 0');
    await health.close();
    await manager.stop();
  });

  it('watches a referenced, unlabelled kind: its changes wake the referrer, and ctx.cache reads it', async () => {
    const seen: string[] = [];
    const referrer = defineController({
      name: 'referrer',
      forResource: RESOURCES.configMap,
      owns: [RESOURCES.secret],
      watches: [
        {
          resource: RESOURCES.secret,
          // Secret `<x>-auth` is referenced by ConfigMap `<x>` (as a Registry references its htpasswd Secret).
          mapToKeys: (obj) => (obj.metadata?.name?.endsWith('-auth') ? [`${obj.metadata.namespace}/${obj.metadata.name.slice(0, -5)}`] : []),
        },
      ],
      async reconcile(request, ctx) {
        const secret = ctx.cache<V1Secret>(RESOURCES.secret).get(request.namespace, `${request.name}-auth`);
        if (secret) seen.push(`${request.name}:${secret.data?.user}`);
      },
    });
    const manager = new Manager({ kubeConfig: clients.kubeConfig, logger: silentLogger(), namespaces: [namespace], controllers: [referrer], leaderElection: false });
    await manager.start();
    await clients.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'ref' } } });
    await clients.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'ref-auth' }, data: { user: 'YQ==' } } });
    await eventually(() => expect(seen).toContain('ref:YQ=='));
    await clients.core.replaceNamespacedSecret({ name: 'ref-auth', namespace, body: { metadata: { name: 'ref-auth' }, data: { user: 'Yg==' } } });
    await eventually(() => expect(seen).toContain('ref:Yg=='));
    await manager.stop();
  });

  it('recovers from an apiserver restart without a restart of its own', async () => {
    if (!plane.restartApiServer) throw new Error('This control plane cannot restart its apiserver');
    const manager = new Manager({
      kubeConfig: clients.kubeConfig,
      logger: silentLogger(),
      namespaces: [namespace],
      controllers: [childController],
      leaderElection: { namespace, leaseName: 'restart-test', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 },
    });
    await manager.start();
    await eventually(() => expect(manager.isLeader()).toBe(true));
    await plane.restartApiServer();
    await clients.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'post-restart', labels: { demo: 'true' } } } });
    await eventually(async () => {
      expect(manager.isLeader()).toBe(true);
      expect((await clients.core.readNamespacedSecret({ name: 'post-restart-child', namespace })).metadata?.name).toBe('post-restart-child');
    }, 60_000);
    await manager.stop();
  });

  it('aggregates repeated Events into one with a count', async () => {
    await clients.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'noisy' } } });
    const involved = await clients.core.readNamespacedConfigMap({ name: 'noisy', namespace });
    const recorder = new KubeEventRecorder(clients, { component: 'dockmaster-test', minWriteIntervalMs: 0 });
    const target = { ...involved, apiVersion: 'v1', kind: 'ConfigMap' };
    for (let i = 0; i < 3; i++) recorder.record(target, 'Warning', 'SecretMissing', 'Secret "auth" not found: create it');
    recorder.record(target, 'Warning', 'SecretMissing', 'a different message');
    await recorder.flush();
    const events = (await clients.core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=noisy' })).items as CoreV1Event[];
    const byMessage = Object.fromEntries(events.map((e) => [e.message, e]));
    expect(events).toHaveLength(2);
    expect(byMessage['Secret "auth" not found: create it']?.count).toBe(3);
    expect(byMessage['Secret "auth" not found: create it']?.involvedObject.uid).toBe(involved.metadata?.uid);
    expect(byMessage['a different message']?.count).toBe(1);
  });
});

describe('serverSideApply on the real apiserver', () => {
  it('creates, leaves an unchanged object at its resourceVersion, and updates a changed one', async () => {
    const metrics = new RuntimeMetrics();
    const counted = createTestKubeClients(clients.kubeConfig, metrics.observeApiRequest);
    const desired: V1ConfigMap = { metadata: { name: 'applied', namespace, labels: { a: '1' } }, data: { k: 'v1' } };
    const created = await serverSideApply(counted, RESOURCES.configMap, desired, { fieldManager: 'dockmaster' });
    expect(created.data).toEqual({ k: 'v1' });
    const again = await serverSideApply(counted, RESOURCES.configMap, desired, { fieldManager: 'dockmaster' });
    // The quirk reconcilers rely on: an identical apply is a no-op for the object...
    expect(again.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    // ...but still a write request, which is why reconcilers skip it when nothing changed.
    expect(metrics.writeRequestsByResource()).toEqual({ configmaps: 2 });
    const changed = await serverSideApply(counted, RESOURCES.configMap, { ...desired, data: { k: 'v2' } }, { fieldManager: 'dockmaster' });
    expect(changed.metadata?.resourceVersion).not.toBe(created.metadata?.resourceVersion);
    expect(changed.metadata?.managedFields?.some((f) => f.manager === 'dockmaster' && f.operation === 'Apply')).toBe(true);
  });
});

async function reconcileCount(manager: Manager): Promise<number> {
  const metric = await manager.metrics.registry.getSingleMetric('dockmaster_reconcile_total')?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}
