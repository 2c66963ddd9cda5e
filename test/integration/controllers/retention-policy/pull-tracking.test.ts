import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/logging/logger.js';
import { registerPullReceiver } from '../../../../src/pull-tracking/receiver.js';
import { PullRecordStore } from '../../../../src/pull-tracking/store.js';
import { PullCanary } from '../../../../src/pull-tracking/canary.js';
import { sharedControlPlane, uniqueNamespaceName } from '../../../controlplane/shared.js';
import { loadKubeConfig } from '../../../../src/runtime/kube-client.js';
import { pushImage } from '../../../harness/fixtures.js';
import { LOCAL_URL_ANNOTATION } from '../../../kubelet/stand-in-kubelet.js';
import { eventually } from '../../runtime/wait.js';
import { startRetentionOperator, type RetentionOperator } from './retention-operator.js';
import { createTestKubeClients } from '../../../harness/typed-clients.js';

const run = promisify(execFile);

interface PolicyView {
  status?: { lastRun?: { result?: string; digestsDeleted?: number }; handledRunNow?: string; conditions?: Array<{ type: string; reason: string }> };
}

// A real registry (run by the stand-in kubelet) whose notifications the operator configured sends
// its pulls to the receiver; skopeo's pulls are recorded, retention's own requests are not, and a
// pulledWithin rule keeps what was pulled once tracking covers its window. The canary pushes its
// image, pulls it from the registry process every few seconds here, and its nonces come back.
describe('pull tracking, end to end', () => {
  let op: RetentionOperator;
  let receiver: FastifyInstance;
  let store: PullRecordStore;
  let url = '';
  let flusher: NodeJS.Timeout | undefined;
  const ns = uniqueNamespaceName('pulls');
  const digests: Record<string, string> = {};

  const records = async (): Promise<{ coveredSince: string; canaries: string[]; pulls: Record<string, Record<string, string>> } | undefined> => {
    try {
      const cm = (await op.user.core.readNamespacedConfigMap({ name: 'main-registry-pulls', namespace: ns })) as V1ConfigMap;
      return JSON.parse(cm.data?.['pulls.json'] ?? '{}') as { coveredSince: string; canaries: string[]; pulls: Record<string, Record<string, string>> };
    } catch {
      return undefined;
    }
  };
  const pull = (tag: string) => run('skopeo', ['--insecure-policy', 'inspect', '--raw', '--tls-verify=false', `docker://${new URL(url).host}/app/web:${tag}`]);

  beforeAll(async () => {
    // The receiver as the operator serves it (run-operator.ts), reading Secrets as the admin here.
    const admin = createTestKubeClients(loadKubeConfig({ kubeconfigPath: sharedControlPlane().kubeconfigPath }));
    receiver = Fastify();
    store = new PullRecordStore(admin, { maxRecordsPerRegistry: 1000, log: silentLogger() });
    await registerPullReceiver(receiver, { kube: admin, store, log: silentLogger() });
    await receiver.listen({ host: '127.0.0.1', port: 0 });
    // The operator flushes every flushIntervalSeconds; here twice a second, as the canary checks every 3 s.
    flusher = setInterval(() => void store.flush(), 500);
    const pullCanary = new PullCanary({ log: silentLogger(), maxRecordsPerRegistry: 1000, intervalMs: 3_000, deadlineMs: 2_000 });
    op = await startRetentionOperator(ns, { pullTrackingReceiverURL: `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`, pullCanary });
    await op.apply({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name: 'main' }, spec: { storage: { emptyDir: {} } } } as never);
    await eventually(async () => {
      const dep = (await op.user.apps.readNamespacedDeployment({ name: 'main-registry', namespace: ns })) as V1Deployment;
      expect(dep.spec?.template.spec?.containers[0]?.env?.map((e) => e.name)).toContain('REGISTRY_NOTIFICATIONS_ENDPOINTS');
      url = dep.metadata?.annotations?.[LOCAL_URL_ANNOTATION] ?? '';
      expect(url, op.kubelet.lastError(ns, 'main-registry')).not.toBe('');
    }, 90_000, 250);
    for (const tag of ['pulled', 'unpulled']) digests[tag] = (await pushImage(url, 'app/web', { tags: [tag], seed: tag })).digest;
  }, 180_000);

  afterAll(async () => {
    clearInterval(flusher);
    await op?.stop();
    await receiver?.close();
  });

  it('keeps the token out of the ConfigMap: the endpoint list comes from the http Secret', async () => {
    const cm = (await op.user.core.readNamespacedConfigMap({ name: 'main-registry-config', namespace: ns })) as V1ConfigMap;
    expect(cm.data?.['config.yml']).not.toMatch(/notifications|Bearer/);
  });

  it('records skopeo\'s pulls (not the pushes) in the Registry\'s records ConfigMap, batched', async () => {
    await pull('pulled');
    await eventually(async () => {
      await store.flush();
      const doc = await records();
      expect(Object.keys(doc?.pulls['app/web'] ?? {})).toEqual([digests.pulled]);
    }, 30_000, 500);
  });

  it('the canary pushes its image and pulls it from every registry process; its nonces come back, never as pulls', async () => {
    let seen = 0;
    await eventually(async () => {
      const doc = await records();
      seen = doc?.canaries.length ?? 0;
      expect(seen).toBeGreaterThanOrEqual(2);
    }, 60_000, 500);
    expect(Object.keys((await records())?.pulls ?? {})).not.toContain('dockmaster/pull-canary');
    // Rounds keep going: the registry is quiet, its path proven alive.
    await eventually(async () => expect((await records())?.canaries.length ?? 0).toBeGreaterThan(seen), 30_000, 500);
    expect(Object.keys((await records())?.pulls ?? {})).not.toContain('dockmaster/pull-canary');
    // The image is a real one any client reads (a pull by skopeo, unlike the canary's, is a pull).
    const inspected = await run('skopeo', ['--insecure-policy', 'inspect', '--raw', '--tls-verify=false', `docker://${new URL(url).host}/dockmaster/pull-canary:canary`]);
    expect(JSON.parse(inspected.stdout)).toMatchObject({ schemaVersion: 2, layers: [] });
  }, 120_000);

  it('a pulledWithin rule keeps what was pulled and deletes what was not, once tracking covers the window; retention\'s own requests are not pulls', async () => {
    const coveredSince = Date.parse((await records())?.coveredSince ?? '');
    // The window is 4 s: wait until tracking has covered it, then pull again inside it.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, coveredSince + 5_000 - Date.now())));
    await pull('pulled');
    await eventually(async () => {
      await store.flush();
      const at = Date.parse((await records())?.pulls['app/web']?.[digests.pulled ?? ''] ?? '');
      expect(Date.now() - at).toBeLessThan(3_000);
    }, 30_000, 250);
    await op.apply({
      apiVersion: 'dockmaster.dev/v1alpha1',
      kind: 'RetentionPolicy',
      metadata: { name: 'by-pulls', annotations: { 'dockmaster.dev/run-now': '1' } },
      spec: { registryRef: { name: 'main' }, inUse: 'Ignore', keep: [{ tags: ['*'], pulledWithin: '4s' }] },
    } as never);
    await eventually(async () => {
      const rp = (await op.user.requestJson('GET', `/apis/dockmaster.dev/v1alpha1/namespaces/${ns}/retentionpolicies/by-pulls`)) as PolicyView;
      expect(rp.status?.handledRunNow).toBe('1');
      expect(rp.status?.lastRun).toMatchObject({ result: 'Succeeded', digestsDeleted: 1 });
    }, 60_000, 500);
    expect((await pull('pulled')).stdout).toContain('schemaVersion');
    await expect(pull('unpulled')).rejects.toThrow();
    // The policy selects every repository; the canary's is never one of them.
    expect((await run('skopeo', ['--insecure-policy', 'inspect', '--raw', '--tls-verify=false', `docker://${new URL(url).host}/dockmaster/pull-canary:canary`])).stdout).toContain('schemaVersion');
    // The run listed and HEADed both tags: none of that counts as a pull of the deleted one.
    await store.flush();
    expect(Object.keys((await records())?.pulls['app/web'] ?? {})).toEqual([digests.pulled]);
  }, 120_000);

  it('the records survive a restart of the receiver and its store: a new process merges into them', async () => {
    await store.flush();
    const before = await records();
    expect(Object.keys(before?.pulls['app/web'] ?? {})).toContain(digests.pulled);
    // The operator process goes (it flushes on SIGTERM) and a new one serves the same address.
    const port = (receiver.server.address() as AddressInfo).port;
    clearInterval(flusher);
    await receiver.close();
    const admin = createTestKubeClients(loadKubeConfig({ kubeconfigPath: sharedControlPlane().kubeconfigPath }));
    store = new PullRecordStore(admin, { maxRecordsPerRegistry: 1000, log: silentLogger() });
    receiver = Fastify();
    await registerPullReceiver(receiver, { kube: admin, store, log: silentLogger() });
    await receiver.listen({ host: '127.0.0.1', port });
    flusher = setInterval(() => void store.flush(), 500);
    digests.later = (await pushImage(url, 'app/web', { tags: ['later'], seed: 'later' })).digest;
    await pull('later');
    await eventually(async () => {
      await store.flush();
      const after = await records();
      expect(Object.keys(after?.pulls['app/web'] ?? {}).sort()).toEqual([digests.pulled, digests.later].sort());
      expect(after?.pulls['app/web']?.[digests.pulled ?? '']).toBe(before?.pulls['app/web']?.[digests.pulled ?? '']);
      // Coverage never moves back (a canary round that fell into the gap may move it forward).
      expect(Date.parse(after?.coveredSince ?? '')).toBeGreaterThanOrEqual(Date.parse(before?.coveredSince ?? ''));
    }, 60_000, 500);
  }, 120_000);
});
