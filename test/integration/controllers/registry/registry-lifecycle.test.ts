import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreV1EventList, V1ConfigMap, V1Deployment, V1PersistentVolumeClaim, V1Secret, V1Service } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { request } from 'undici';
import { apiErrorStatus } from '../../../../src/runtime/kube-client.js';
import { objectPath, RESOURCES } from '../../../../src/runtime/resources.js';
import { CONFIG_HASH_ANNOTATION, registryChildNames, registrySelectorLabels } from '../../../../src/managed-registry/children.js';
import { REGISTRY_FINALIZER } from '../../../../src/controllers/registry/cleanup.js';
import { LOCAL_URL_ANNOTATION } from '../../../kubelet/stand-in-kubelet.js';
import { eventually } from '../../runtime/wait.js';
import { startOperatorUnderTest, type OperatorUnderTest } from './operator-under-test.js';
import { pushTinyImage, v2Status } from './tiny-push.js';

// bcrypt (cost 5) of "s3cret" for user "dockmaster", as `htpasswd -Bbn` writes it.
const HTPASSWD = 'dockmaster:$2b$05$JezLqmb71FhrFY/nIJpNpOjtGol7uFMcOE8Hvsr8Dil4ID74GkiNW\n';
const USER = { username: 'dockmaster', password: 's3cret' };
const EXPANDABLE = 'expandable';

interface RegistryView {
  metadata: { uid: string; finalizers?: string[]; generation: number };
  status?: { observedGeneration?: number; endpoint?: string; conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
}

let env: OperatorUnderTest;
const ns = `registry-ctl-${Date.now().toString(36)}`;
const measured: Record<string, number> = {};

beforeAll(async () => {
  env = await startOperatorUnderTest(ns);
  // The apiserver's PersistentVolumeClaimResize admission lets a claim grow only when its
  // StorageClass sets allowVolumeExpansion (else 403 "only dynamically provisioned pvc can be resized").
  try {
    await env.user.requestJson('POST', '/apis/storage.k8s.io/v1/storageclasses', {
      body: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: EXPANDABLE }, provisioner: 'test.dockmaster.dev/stand-in', allowVolumeExpansion: true },
    });
  } catch (error) {
    if (apiErrorStatus(error) !== 409) throw error;
  }
});
afterAll(async () => {
  console.log(`Registry controller figures: ${JSON.stringify(measured)}`);
  await env?.stop();
});

async function getRegistry(name: string): Promise<RegistryView> {
  return env.user.requestJson<RegistryView>('GET', objectPath(RESOURCES.registry, ns, name));
}
async function getChild<T>(resource: (typeof RESOURCES)[keyof typeof RESOURCES], name: string): Promise<T> {
  return env.user.requestJson<T>('GET', objectPath(resource, ns, name));
}
async function gone(resource: (typeof RESOURCES)[keyof typeof RESOURCES], name: string): Promise<boolean> {
  try {
    await getChild(resource, name);
    return false;
  } catch (error) {
    if (apiErrorStatus(error) === 404) return true;
    throw error;
  }
}
function condition(reg: RegistryView, type: string): { status: string; reason: string; message: string } | undefined {
  return reg.status?.conditions?.find((c) => c.type === type);
}
async function waitForCondition(name: string, type: string, status: string, reason?: string, timeoutMs = 60_000): Promise<RegistryView> {
  let last: RegistryView | undefined;
  await eventually(async () => {
    last = await getRegistry(name);
    const c = condition(last, type);
    expect(c?.status, JSON.stringify(last.status)).toBe(status);
    if (reason) expect(c?.reason).toBe(reason);
    expect(last.status?.observedGeneration).toBe(last.metadata.generation);
  }, timeoutMs, 200);
  return last as RegistryView;
}
async function localUrl(name: string): Promise<string> {
  const dep = await getChild<V1Deployment>(RESOURCES.deployment, registryChildNames(name).deployment);
  const url = dep.metadata?.annotations?.[LOCAL_URL_ANNOTATION];
  if (!url) throw new Error('no local url yet');
  return url;
}
/** Sum of dockmaster_reconcile_total for the registry controller, from the metrics endpoint's text. */
async function registryReconciles(): Promise<number> {
  const { body } = await env.manager.metrics.render();
  return body.split('\n')
    .filter((line) => line.startsWith('dockmaster_reconcile_total{') && line.includes('controller="registry"'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}
function registry(name: string, spec: Record<string, unknown>): { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> } {
  return { apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name }, spec: { image: 'registry:2.8.2', replicas: 1, ...spec } };
}

describe('Registry controller on the real apiserver with the stand-in kubelet', () => {
  it('apply → children with the expected content → a real registry → Ready, and a push works', async () => {
    const started = Date.now();
    await env.applyAsUser(registry('main', { storage: { pvc: { size: '1Gi', storageClassName: EXPANDABLE } } }));
    const ready = await waitForCondition('main', 'Ready', 'True', 'Available');
    measured.applyToReadyMs = Date.now() - started;
    expect(ready.metadata.finalizers).toContain(REGISTRY_FINALIZER);
    expect(ready.status?.endpoint).toBe(`main.${ns}.svc:5000`);
    expect(condition(ready, 'Degraded')?.status).toBe('False');

    const names = registryChildNames('main');
    const owner = (o: { metadata?: { ownerReferences?: Array<{ uid: string; controller?: boolean }> } }): unknown => o.metadata?.ownerReferences?.[0];
    const cm = await getChild<V1ConfigMap>(RESOURCES.configMap, names.configMap);
    const config = parse(cm.data?.['config.yml'] ?? '') as { storage: { maintenance: { readonly: unknown } }; http: { addr: string } };
    expect(config.storage.maintenance.readonly).toEqual({ enabled: false });
    expect(config.http.addr).toBe(':5000');
    expect(owner(cm)).toMatchObject({ uid: ready.metadata.uid, controller: true, blockOwnerDeletion: true });
    const dep = await getChild<V1Deployment>(RESOURCES.deployment, names.deployment);
    expect(dep.spec?.strategy?.type).toBe('Recreate');
    expect(dep.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{64}$/);
    // Created by POST under our manager; its first change makes the entry an Apply entry (child-apply.test.ts).
    expect(dep.metadata?.managedFields?.some((f) => f.manager === 'dockmaster')).toBe(true);
    const pvc = await getChild<V1PersistentVolumeClaim>(RESOURCES.persistentVolumeClaim, names.pvc);
    expect(pvc.spec?.resources?.requests?.storage).toBe('1Gi');
    const svc = await getChild<V1Service>(RESOURCES.service, names.service);
    expect(svc.spec?.ports?.[0]).toMatchObject({ port: 5000, targetPort: 5000 });
    const secret = await getChild<V1Secret>(RESOURCES.secret, names.httpSecret);
    expect(Buffer.from(secret.data?.['http-secret'] ?? '', 'base64').length).toBeGreaterThan(20);

    const url = await localUrl('main');
    await pushTinyImage(url, 'team/app', 'v1');
    // The bytes landed in the directory standing in for the PVC: the config's storage path is real.
    expect(await readdir(`${env.kubelet.pvcDir(ns, names.pvc)}/docker/registry/v2/repositories/team`)).toEqual(['app']);
  });

  it('update: auth, storage size and replicas flow into the children and the running registry', async () => {
    const names = registryChildNames('main');
    const before = await getChild<V1Deployment>(RESOURCES.deployment, names.deployment);
    const httpSecretBefore = (await getChild<V1Secret>(RESOURCES.secret, names.httpSecret)).data;
    await env.applyAsUser({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'main-users' }, stringData: { htpasswd: HTPASSWD } } as never);
    await env.applyAsUser(registry('main', { storage: { pvc: { size: '2Gi', storageClassName: EXPANDABLE } }, auth: { htpasswdSecret: 'main-users' } }));
    await eventually(async () => {
      const dep = await getChild<V1Deployment>(RESOURCES.deployment, names.deployment);
      expect(dep.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]).not.toBe(before.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]);
      expect(dep.spec?.template.spec?.volumes?.some((v) => v.secret?.secretName === 'main-users')).toBe(true);
    }, 30_000, 200);
    const pvc = await getChild<V1PersistentVolumeClaim>(RESOURCES.persistentVolumeClaim, names.pvc);
    expect(pvc.spec?.resources?.requests?.storage).toBe('2Gi');
    await waitForCondition('main', 'Ready', 'True');
    // The stand-in restarted the process with the new config: auth is on, the old image is still there.
    await eventually(async () => expect(await v2Status(await localUrl('main'))).toBe(401), 30_000, 200);
    expect(await v2Status(await localUrl('main'), USER)).toBe(200);
    await pushTinyImage(await localUrl('main'), 'team/app', 'v2', USER);
    expect((await getChild<V1Secret>(RESOURCES.secret, names.httpSecret)).data).toEqual(httpSecretBefore);

    // Replicas on storage two pods can share (RWX): the Deployment and the stand-in follow.
    await env.applyAsUser(registry('shared', { storage: { pvc: { size: '1Gi', accessModes: ['ReadWriteMany'], deleteOnRemoval: true } } }));
    await waitForCondition('shared', 'Ready', 'True');
    await env.applyAsUser(registry('shared', { replicas: 2, storage: { pvc: { size: '1Gi', accessModes: ['ReadWriteMany'], deleteOnRemoval: true } } }));
    await eventually(async () => {
      const dep = await getChild<V1Deployment>(RESOURCES.deployment, registryChildNames('shared').deployment);
      expect(dep.spec?.replicas).toBe(2);
      expect(dep.status?.availableReplicas).toBe(2);
    }, 30_000, 200);
    const shared = await waitForCondition('shared', 'Ready', 'True');
    expect(condition(shared, 'Ready')?.message).toContain('2/2');
  });

  it('missing htpasswd Secret → Degraded with an Event saying what to do; creating it → Ready', async () => {
    await env.applyAsUser(registry('locked', { storage: { emptyDir: {} }, auth: { htpasswdSecret: 'locked-users' } }));
    const degraded = await waitForCondition('locked', 'Degraded', 'True', 'SecretMissing');
    expect(condition(degraded, 'Degraded')?.message).toContain('kubectl create secret generic locked-users');
    expect(condition(degraded, 'Ready')?.status).toBe('False');
    await eventually(async () => {
      const events = await env.user.requestJson<CoreV1EventList>('GET', `/api/v1/namespaces/${ns}/events`);
      const event = events.items.find((e) => e.involvedObject.name === 'locked' && e.reason === 'SecretMissing');
      expect(event?.type).toBe('Warning');
      expect(event?.message).toContain('locked-users');
    }, 15_000, 200);
    expect(await gone(RESOURCES.deployment, registryChildNames('locked').deployment)).toBe(true);

    await env.applyAsUser({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'locked-users' }, stringData: { htpasswd: HTPASSWD } } as never);
    await waitForCondition('locked', 'Ready', 'True');
    expect(condition(await getRegistry('locked'), 'Degraded')?.status).toBe('False');
    expect(await v2Status(await localUrl('locked'), USER)).toBe(200);
  });

  it('a PVC the apiserver refuses to grow → Degraded ApplyFailed with its message; the rest still applies', async () => {
    // No StorageClass with allowVolumeExpansion: the apiserver's resize admission says no.
    await env.applyAsUser(registry('fixed', { storage: { pvc: { size: '1Gi' } } }));
    await waitForCondition('fixed', 'Ready', 'True');
    await env.applyAsUser(registry('fixed', { storage: { pvc: { size: '5Gi' } }, service: { port: 5443 } }));
    const degraded = await waitForCondition('fixed', 'Degraded', 'True', 'ApplyFailed');
    expect(condition(degraded, 'Degraded')?.message).toContain('only dynamically provisioned pvc can be resized');
    expect(condition(degraded, 'Ready')?.status).toBe('True');
    // The Service change was applied all the same, and the old PVC size stands.
    expect((await getChild<V1Service>(RESOURCES.service, 'fixed')).spec?.ports?.[0]?.port).toBe(5443);
    expect((await getChild<V1PersistentVolumeClaim>(RESOURCES.persistentVolumeClaim, registryChildNames('fixed').pvc)).spec?.resources?.requests?.storage).toBe('1Gi');
  });

  it('an idle operator makes zero writes', async () => {
    for (const name of ['main', 'shared', 'locked']) await waitForCondition(name, 'Ready', 'True');
    // 'fixed' stays Degraded on purpose: a refused apply must not be retried while idle either.
    await waitForCondition('fixed', 'Degraded', 'True', 'ApplyFailed');
    // Let the last status writes and the informer echoes of them settle.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const reconcilesBefore = await registryReconciles();
    const before = env.manager.metrics.writeRequestCount();
    const requestsBefore = env.manager.metrics.apiRequestCount();
    // Probes requeue every 2 s here, so this window holds many full reconciles of each Registry.
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    measured.idleWritesIn20s = env.manager.metrics.writeRequestCount() - before;
    measured.idleRequestsIn20s = env.manager.metrics.apiRequestCount() - requestsBefore;
    measured.idleReconcilesIn20s = (await registryReconciles()) - reconcilesBefore;
    // The window did reconcile (probe requeues), and none of those reconciles wrote anything.
    expect(measured.idleReconcilesIn20s).toBeGreaterThan(10);
    expect(measured.idleWritesIn20s, JSON.stringify(env.manager.metrics.writeRequestsByResource())).toBe(0);
  });

  it('a child the apiserver cannot store for now (500) → Degraded ApplyRetrying with its message, the rest applied; heals by itself', async () => {
    // A webhook with failurePolicy Fail that nobody serves: the apiserver answers every write of
    // this Service with 500 "failed calling webhook", as it does for a full Service IP range.
    const webhookPath = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
    const webhookName = `unreachable-${ns}`;
    await env.user.requestJson('POST', webhookPath, {
      body: {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: webhookName },
        webhooks: [{
          name: 'unreachable.test.dockmaster.dev',
          clientConfig: { url: 'https://127.0.0.1:1/never' },
          rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['services'] }],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
          objectSelector: { matchLabels: registrySelectorLabels('flaky') },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 2,
        }],
      },
    });
    try {
      await env.applyAsUser(registry('flaky', { storage: { emptyDir: {} } }));
      const degraded = await waitForCondition('flaky', 'Degraded', 'True', 'ApplyRetrying');
      expect(condition(degraded, 'Degraded')?.message).toMatch(/Applying Service flaky failed \(HTTP 500: .*failed calling webhook/);
      expect(condition(degraded, 'Degraded')?.message).toContain('Retrying with backoff');
      // Every other child went in all the same.
      const names = registryChildNames('flaky');
      expect(await gone(RESOURCES.deployment, names.deployment)).toBe(false);
      expect(await gone(RESOURCES.configMap, names.configMap)).toBe(false);
      expect(await gone(RESOURCES.service, names.service)).toBe(true);
    } finally {
      await env.user.requestJson('DELETE', `${webhookPath}/${webhookName}`);
    }
    // The queue's backoff retries on its own: no edit needed.
    await waitForCondition('flaky', 'Degraded', 'False', 'AsExpected');
    expect(await gone(RESOURCES.service, 'flaky')).toBe(false);
  });

  it('read-only while the GC window asks for it: config map form, pods roll, pushes get 405, pulls work', async () => {
    const setWindow = (readOnly: boolean): Promise<unknown> => env.user.requestJson('PATCH', objectPath(RESOURCES.registry, ns, 'main', 'status'), {
      body: { status: { garbageCollectionWindow: { readOnly } } },
      contentType: 'application/merge-patch+json',
    });
    await setWindow(true);
    await waitForCondition('main', 'ReadOnly', 'True', 'GarbageCollectionWindow');
    const cm = await getChild<V1ConfigMap>(RESOURCES.configMap, registryChildNames('main').configMap);
    expect(cm.data?.['config.yml']).toMatch(/readonly:\n\s+enabled: true/);
    await eventually(async () => {
      await expect(pushTinyImage(await localUrl('main'), 'team/app', 'during-gc', USER)).rejects.toThrow(/405/);
    }, 30_000, 200);
    // One 405 proves a read-only pod answers; the roll may still be replacing another replica, whose
    // address then refuses connections for a moment (seen once in CI), so the pull is retried too.
    await eventually(async () => {
      const pull = await request(`${await localUrl('main')}/v2/team/app/manifests/v2`, {
        headers: { authorization: `Basic ${Buffer.from('dockmaster:s3cret').toString('base64')}`, accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      await pull.body.dump();
      expect(pull.statusCode).toBe(200);
    }, 30_000, 200);
    await setWindow(false);
    await waitForCondition('main', 'ReadOnly', 'False', 'ReadWrite');
    await eventually(async () => {
      await pushTinyImage(await localUrl('main'), 'team/app', 'after-gc', USER);
    }, 30_000, 200);
  });

  it('the stand-in runs a garbage-collect Job on the registry\'s own config and storage (the GC issue\'s hook)', async () => {
    const dep = await getChild<V1Deployment>(RESOURCES.deployment, registryChildNames('main').deployment);
    const template = structuredClone(dep.spec?.template ?? {});
    const container = template.spec?.containers[0];
    if (!template.spec || !container) throw new Error('no pod template');
    container.command = ['registry', 'garbage-collect', '/etc/docker/registry/config.yml', '--dry-run'];
    delete container.readinessProbe;
    delete container.livenessProbe;
    template.spec.restartPolicy = 'Never';
    await env.user.batch.createNamespacedJob({
      namespace: ns,
      body: { metadata: { name: 'main-gc', labels: { 'app.kubernetes.io/managed-by': 'dockmaster' } }, spec: { backoffLimit: 0, template } },
    });
    await eventually(async () => {
      const job = await env.user.batch.readNamespacedJob({ name: 'main-gc', namespace: ns });
      expect(job.status?.conditions?.find((c) => c.type === 'Complete')?.status).toBe('True');
      expect(job.status?.succeeded).toBe(1);
    }, 30_000, 200);
    const result = env.kubelet.jobResult(ns, 'main-gc');
    expect(result?.exitCode).toBe(0);
    // distribution's mark phase lists what it keeps: the two images pushed above.
    expect(result?.output).toContain('team/app');
    expect(result?.output).toMatch(/blobs marked/);
  });

  it('delete → children removed; the PVC kept (and released) unless deleteOnRemoval', async () => {
    const main = registryChildNames('main');
    await env.user.requestJson('DELETE', objectPath(RESOURCES.registry, ns, 'main'));
    await eventually(async () => expect(await gone(RESOURCES.registry, 'main')).toBe(true), 30_000, 200);
    for (const [resource, name] of [[RESOURCES.deployment, main.deployment], [RESOURCES.service, main.service], [RESOURCES.configMap, main.configMap], [RESOURCES.secret, main.httpSecret]] as const) {
      expect(await gone(resource, name), `${resource.kind} ${name}`).toBe(true);
    }
    const kept = await getChild<V1PersistentVolumeClaim>(RESOURCES.persistentVolumeClaim, main.pvc);
    expect(kept.metadata?.deletionTimestamp).toBeUndefined();
    expect(kept.metadata?.ownerReferences ?? []).toEqual([]);

    const shared = registryChildNames('shared');
    await env.user.requestJson('DELETE', objectPath(RESOURCES.registry, ns, 'shared'));
    await eventually(async () => {
      expect(await gone(RESOURCES.registry, 'shared')).toBe(true);
      expect(await gone(RESOURCES.persistentVolumeClaim, shared.pvc)).toBe(true);
    }, 30_000, 200);
  });
});
