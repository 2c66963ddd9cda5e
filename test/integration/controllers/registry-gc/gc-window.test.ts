/**
 * Garbage-collection windows end to end: the real apiserver (shared control plane), the
 * operator's Registry and GC controllers in a child process under deploy/'s RBAC, the stand-in
 * kubelet running real docker-registry processes and the GC Job's script on the same PVC
 * directory. The stand-in holds a Job back on request, so the window stays open long enough to
 * push and pull through it, to hang it, or to kill the operator mid-Job.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { KubernetesObject, V1Deployment, V1Job } from '@kubernetes/client-node';
import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from '../../../../src/api/registry.js';
import { registryChildNames } from '../../../../src/managed-registry/children.js';
import { GC_NOW_ANNOTATION } from '../../../../src/gc/window-schedule.js';
import { RegistryV2Client } from '../../../../src/registry/client/index.js';
import { apiErrorStatus, loadKubeConfig, serverSideApply } from '../../../../src/runtime/kube-client.js';
import { objectPath, RESOURCES } from '../../../../src/runtime/resources.js';
import { kubectlOk } from '../../../controlplane/kubectl.js';
import { sharedControlPlane, uniqueNamespaceName } from '../../../controlplane/shared.js';
import { MEDIA_TYPES, pushImage, pushIndex, type PushedImage } from '../../../harness/fixtures.js';
import { LOCAL_URL_ANNOTATION, LOCAL_URLS_ANNOTATION, startStandInKubelet, type StandInKubelet } from '../../../kubelet/stand-in-kubelet.js';
import { startS3Server } from '../../../harness/s3.js';
import { operatorKubeconfigUnderDeployRbac } from '../../least-privilege.js';
import { ensureNamespace, eventually } from '../../runtime/wait.js';
import { startGcOperatorProcess, type GcOperatorProcess } from './gc-operator-process.js';
import { createTestKubeClients, type TestKubeClients } from '../../../harness/typed-clients.js';

const run = promisify(execFile);
type RegistryObject = Registry & KubernetesObject;

const plane = sharedControlPlane();
const namespace = uniqueNamespaceName('gc-window');
let user: TestKubeClients;
let kubelet: StandInKubelet;
let operator: GcOperatorProcess;
let operatorKubeconfig: string;
/** Registries whose garbage-collect Jobs the stand-in must not start (yet). */
const held = new Set<string>();

async function startOperator(): Promise<GcOperatorProcess> {
  return startGcOperatorProcess({ kubeconfig: operatorKubeconfig, namespace, logFile: path.join(kubelet.workDir, 'operator.log') });
}

beforeAll(async () => {
  user = createTestKubeClients(loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath }));
  operatorKubeconfig = await operatorKubeconfigUnderDeployRbac(plane);
  await ensureNamespace(user, namespace);
  kubelet = await startStandInKubelet({
    kubeConfig: loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath }),
    namespace,
    pollIntervalMs: 250,
    holdJob: (job) => held.has(job.metadata?.labels?.['app.kubernetes.io/instance'] ?? ''),
  });
  operator = await startOperator();
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await kubelet?.stop();
});

async function applyRegistry(name: string, maxDuration: string, extra: { image?: string; deleteUntagged?: boolean } = {}): Promise<void> {
  const registry = {
    apiVersion: 'dockmaster.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name, namespace },
    spec: {
      storage: { pvc: { size: '1Gi' } },
      ...(extra.image && { image: extra.image }),
      garbageCollection: { schedule: '0 3 * * 0', maxDuration, ...(extra.deleteUntagged && { deleteUntagged: true }) },
    },
  };
  await serverSideApply(user, RESOURCES.registry, registry, { fieldManager: 'e2e-user', force: true });
}

async function readRegistry(name: string): Promise<RegistryObject> {
  return user.requestJson<RegistryObject>('GET', objectPath(RESOURCES.registry, namespace, name));
}

/** The loopback URL of the registry's current ready process (it moves on every rollout). */
async function registryUrl(name: string): Promise<string> {
  let url = '';
  await eventually(async () => {
    const dep: V1Deployment = await user.apps.readNamespacedDeployment({ name: registryChildNames(name).deployment, namespace });
    url = dep.metadata?.annotations?.[LOCAL_URL_ANNOTATION] ?? '';
    expect(url, kubelet.lastError(namespace, registryChildNames(name).deployment)).not.toBe('');
  }, 60_000, 250);
  return url;
}

/** The loopback URLs of every ready replica, once `count` are ready. */
async function replicaUrls(name: string, count: number): Promise<string[]> {
  let urls: string[] = [];
  await eventually(async () => {
    const dep: V1Deployment = await user.apps.readNamespacedDeployment({ name: registryChildNames(name).deployment, namespace });
    urls = (dep.metadata?.annotations?.[LOCAL_URLS_ANNOTATION] ?? '').split(',').filter(Boolean);
    expect(urls.length, kubelet.lastError(namespace, registryChildNames(name).deployment)).toBe(count);
  }, 90_000, 250);
  return urls;
}

async function requestGcNow(name: string): Promise<void> {
  await user.requestJson('PATCH', objectPath(RESOURCES.registry, namespace, name), {
    body: { metadata: { annotations: { [GC_NOW_ANNOTATION]: new Date().toISOString() } } },
    contentType: 'application/merge-patch+json',
  });
}

async function waitForPhase(name: string, phase: string, timeoutMs = 60_000): Promise<RegistryObject> {
  let registry: RegistryObject | undefined;
  await eventually(async () => {
    registry = await readRegistry(name);
    expect(registry.status?.garbageCollectionWindow?.phase, JSON.stringify(registry.status?.garbageCollectionWindow)).toBe(phase);
  }, timeoutMs, 250);
  return registry!;
}

async function waitForClosedWindow(name: string, timeoutMs = 90_000): Promise<RegistryObject> {
  let registry: RegistryObject | undefined;
  await eventually(async () => {
    registry = await readRegistry(name);
    expect(registry.status?.garbageCollectionWindow?.phase, JSON.stringify(registry.status?.garbageCollectionWindow)).toBe('Idle');
    expect(registry.status?.lastGarbageCollection?.completionTime).toBeDefined();
  }, timeoutMs, 250);
  return registry!;
}

async function jobExists(name: string): Promise<V1Job> {
  let job: V1Job | undefined;
  await eventually(async () => {
    const jobName = (await readRegistry(name)).status?.garbageCollectionWindow?.jobName ?? '';
    job = await user.batch.readNamespacedJob({ name: jobName, namespace });
  }, 30_000, 250);
  return job!;
}

/** Sum of the sizes of the blob files (what bytesFreed measures). */
async function blobFileBytes(root: string): Promise<number> {
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) total += (await stat(full)).size;
    }
  };
  await walk(path.join(root, 'docker/registry/v2/blobs'));
  return total;
}

async function diskUsageBytes(dir: string): Promise<number> {
  const { stdout } = await run('du', ['-sb', dir]);
  return Number(stdout.split('\t')[0]);
}

async function blobSize(root: string, digest: string): Promise<number> {
  const hex = digest.slice('sha256:'.length);
  return (await stat(path.join(root, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data'))).size;
}

async function uploadStatus(url: string, repository: string): Promise<number> {
  const res = await fetch(`${url}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' } });
  await res.body?.cancel();
  return res.status;
}

describe('garbage-collection windows', () => {
  it('frees the blobs of deleted manifests read-only (405 to pushes, pulls served), records the result, and ends read-write', async () => {
    const name = 'main';
    await applyRegistry(name, '3m');
    const url = await registryUrl(name);
    const kept = await pushImage(url, 'app', { tags: ['v1'], seed: 'gc-e2e-kept', layerSize: 4096 });
    const gone: PushedImage[] = [];
    for (const seed of ['gc-e2e-gone-1', 'gc-e2e-gone-2']) gone.push(await pushImage(url, 'app', { tags: [seed], seed, layerSize: 8192 }));
    const client = new RegistryV2Client({ url, allowPlainHttp: true });
    for (const image of gone) await client.deleteManifest('app', image.digest);
    await client.close();

    const storage = kubelet.pvcDir(namespace, registryChildNames(name).pvc);
    let expectedFreed = 0;
    for (const image of gone) for (const digest of [image.digest, image.configDigest!, ...image.layerDigests]) expectedFreed += await blobSize(storage, digest);
    const blobBytesBefore = await blobFileBytes(storage);
    const duBefore = await diskUsageBytes(storage);

    held.add(name);
    await requestGcNow(name);
    await waitForPhase(name, 'Collecting');
    await jobExists(name);
    const during = await readRegistry(name);
    expect(during.status?.readOnly).toBe(true);
    expect(during.status?.garbageCollectionWindow?.readOnly).toBe(true);
    // The run-now protocol: the value acted on is recorded in status; the annotation stays (GitOps re-applies it).
    expect(during.metadata?.annotations?.[GC_NOW_ANNOTATION]).toBeDefined();
    expect(during.status?.handledGcNow).toBe(during.metadata?.annotations?.[GC_NOW_ANNOTATION]);
    const readOnlyUrl = await registryUrl(name);
    expect(await uploadStatus(readOnlyUrl, 'app')).toBe(405);
    const pull = await fetch(`${readOnlyUrl}/v2/app/manifests/v1`, { headers: { accept: MEDIA_TYPES.oci.manifest } });
    expect(pull.status).toBe(200);
    await pull.body?.cancel();
    const layer = await fetch(`${readOnlyUrl}/v2/app/blobs/${kept.layerDigests[0]}`);
    expect(layer.status).toBe(200);
    expect((await layer.arrayBuffer()).byteLength).toBe(await blobSize(storage, kept.layerDigests[0]!));

    held.delete(name);
    const after = await waitForClosedWindow(name);
    const last = after.status?.lastGarbageCollection;
    expect(last?.result, last?.message).toBe('Succeeded');
    expect(last?.blobsDeleted).toBe(6);
    expect(last?.manifestsDeleted).toBe(0);
    expect(last?.bytesFreed).toBe(expectedFreed);
    expect(after.status?.garbageCollectionWindow?.readOnly).toBe(false);
    const blobBytesAfter = await blobFileBytes(storage);
    const duAfter = await diskUsageBytes(storage);
    expect(blobBytesBefore - blobBytesAfter).toBe(expectedFreed);

    const writableUrl = await registryUrl(name);
    expect(await uploadStatus(writableUrl, 'app')).toBe(202);
    await pushImage(writableUrl, 'app', { tags: ['after-gc'], seed: 'gc-e2e-after' });
    const keptPull = await fetch(`${writableUrl}/v2/app/manifests/v1`, { headers: { accept: MEDIA_TYPES.oci.manifest } });
    expect(keptPull.status).toBe(200);
    await keptPull.body?.cancel();
    await eventually(async () => expect((await readRegistry(name)).status?.readOnly).toBe(false), 30_000, 250);

    const catalog = await (await fetch(`${writableUrl}/v2/_catalog`)).json();
    const yaml = await kubectlOk(plane.kubeconfigPath, ['get', 'registry', name, '-n', namespace, '-o', 'yaml']);
    console.log(`[gc-e2e] kubectl get registry ${name} -o yaml after the window:\n${yaml}`);
    console.log(`[gc-e2e] storage ${storage}: du -sb before ${duBefore} after ${duAfter} (drop ${duBefore - duAfter}); ` +
      `blob files before ${blobBytesBefore} after ${blobBytesAfter} (drop ${blobBytesBefore - blobBytesAfter}); ` +
      `deleted blobs' bytes ${expectedFreed}; status.bytesFreed ${last?.bytesFreed}; catalog ${JSON.stringify(catalog)}`);
  }, 240_000);

  it('a garbage-collect Job that hangs ends the window at maxDuration: TimedOut, Job deleted, registry read-write', async () => {
    const name = 'hang';
    held.add(name);
    await applyRegistry(name, '20s');
    await registryUrl(name);
    await requestGcNow(name);
    await waitForPhase(name, 'Collecting');
    const job = await jobExists(name);
    expect(job.spec?.activeDeadlineSeconds).toBeLessThanOrEqual(20);
    expect(job.spec?.backoffLimit).toBe(0);
    const after = await waitForClosedWindow(name, 90_000);
    const last = after.status?.lastGarbageCollection;
    expect(last?.result).toBe('TimedOut');
    expect(last?.message).toMatch(/maxDuration 20s elapsed while garbage-collect Job .* ran; the Job was deleted/);
    expect(after.status?.garbageCollectionWindow?.readOnly).toBe(false);
    const gone = await user.batch.readNamespacedJob({ name: job.metadata?.name ?? '', namespace }).then(() => 200, (e: unknown) => apiErrorStatus(e));
    expect(gone).toBe(404);
    await eventually(async () => expect(await uploadStatus(await registryUrl(name), 'app')).toBe(202), 30_000, 250);
    console.log(`[gc-e2e] timed-out window: ${JSON.stringify(after.status?.lastGarbageCollection)}`);
  }, 180_000);

  it('an operator killed while the Job runs resumes the window after restart and ends read-write', async () => {
    const name = 'crash';
    held.add(name);
    await applyRegistry(name, '3m');
    const url = await registryUrl(name);
    const image = await pushImage(url, 'app', { tags: ['x'], seed: 'gc-e2e-crash' });
    await new RegistryV2Client({ url, allowPlainHttp: true }).deleteManifest('app', image.digest);
    await requestGcNow(name);
    await waitForPhase(name, 'Collecting');
    await jobExists(name);

    await operator.kill();
    // Nothing but the apiserver remembers the window: the registry stays read-only meanwhile.
    const orphaned = await readRegistry(name);
    expect(orphaned.status?.garbageCollectionWindow?.phase).toBe('Collecting');
    expect(await uploadStatus(await registryUrl(name), 'app')).toBe(405);

    operator = await startOperator();
    held.delete(name);
    const after = await waitForClosedWindow(name);
    expect(after.status?.lastGarbageCollection?.result, after.status?.lastGarbageCollection?.message).toBe('Succeeded');
    expect(after.status?.lastGarbageCollection?.blobsDeleted).toBe(3);
    expect(after.status?.garbageCollectionWindow?.readOnly).toBe(false);
    await eventually(async () => expect(await uploadStatus(await registryUrl(name), 'app')).toBe(202), 30_000, 250);
    const yaml = await kubectlOk(plane.kubeconfigPath, ['get', 'registry', name, '-n', namespace, '-o', 'jsonpath={.status.lastGarbageCollection}{"\\n"}{.status.garbageCollectionWindow}']);
    console.log(`[gc-e2e] after SIGKILL mid-Collecting and restart: ${yaml}`);
  }, 240_000);

  it('on a registry:3.1.2 Registry (the stand-in runs the 3.1.2 build), deleteUntagged keeps every platform of a tagged index and removes the untagged orphan', async () => {
    const name = 'v3';
    await applyRegistry(name, '3m', { image: 'registry:3.1.2', deleteUntagged: true });
    const url = await registryUrl(name);
    const platforms = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }];
    const index = await pushIndex(url, 'multi', { tags: ['latest'], platforms, seed: 'gc-v3-index' });
    const orphan = await pushImage(url, 'multi', { tags: ['old'], seed: 'gc-v3-orphan' });
    // 3.x untags with a DELETE of the tag; the manifest stays until garbage-collect.
    expect((await fetch(`${url}/v2/multi/manifests/old`, { method: 'DELETE' })).status).toBe(202);
    await requestGcNow(name);
    const after = await waitForClosedWindow(name);
    const last = after.status?.lastGarbageCollection;
    expect(last?.result, last?.message).toBe('Succeeded');
    expect(last?.manifestsDeleted, last?.message).toBe(1);
    expect(last?.message).not.toMatch(/refused/);
    const served = await registryUrl(name);
    const status = async (reference: string, accept: string) => (await fetch(`${served}/v2/multi/manifests/${reference}`, { method: 'HEAD', headers: { accept } })).status;
    expect(await status('latest', MEDIA_TYPES.oci.index)).toBe(200);
    for (const child of index.children) expect(await status(child.digest, MEDIA_TYPES.oci.manifest)).toBe(200);
    expect(await status(orphan.digest, MEDIA_TYPES.oci.manifest)).toBe(404);
  }, 180_000);

  it('S3 with two replicas (registry:3.1.2 on versitygw): push through one replica, pull through the other; the window makes both read-only, the Job reaches the bucket with the Secret, bytes freed are measured on the backend; a changed Secret rolls the pods', async () => {
    const s3 = await startS3Server();
    try {
      const bucket = await s3.createBucket('images');
      const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's3-creds', namespace }, stringData: { accessKey: s3.accessKey, secretKey: s3.secretKey } };
      await serverSideApply(user, RESOURCES.secret, secret, { fieldManager: 'e2e-user', force: true });
      const name = 'shared';
      await serverSideApply(user, RESOURCES.registry, {
        apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name, namespace },
        spec: {
          image: 'registry:3.1.2', replicas: 2,
          storage: { s3: { bucket, region: s3.region, endpoint: s3.endpoint, secretRef: { name: 's3-creds' }, forcePathStyle: true, rootDirectory: '/dockmaster' } },
          garbageCollection: { schedule: '0 3 * * 0', maxDuration: '3m' },
        },
      }, { fieldManager: 'e2e-user', force: true });
      const urls = await replicaUrls(name, 2);
      const [first, second] = urls as [string, string];
      const kept = await pushImage(first, 'app', { tags: ['v1'], seed: 's3-e2e-kept', layerSize: 8192 });
      const gone = await pushImage(first, 'app', { tags: ['v0'], seed: 's3-e2e-gone', layerSize: 16_384 });
      const other = new RegistryV2Client({ url: second, allowPlainHttp: true });
      expect((await other.headManifest('app', 'v1')).digest).toBe(kept.digest);
      await other.getBlob('app', kept.layerDigests[0]!);
      await other.deleteManifest('app', gone.digest);
      await other.close();

      // The bucket's objects as the S3 backend stores them: <root>/<bucket>/<rootDirectory>/docker/…
      const storeRoot = path.join(s3.root, bucket, 'dockmaster');
      const before = await blobFileBytes(storeRoot);
      expect(before).toBeGreaterThan(16_384);
      await requestGcNow(name);
      const after = await waitForClosedWindow(name);
      const last = after.status?.lastGarbageCollection;
      expect(last?.result, last?.message).toBe('Succeeded');
      expect(last?.blobsDeleted, last?.message).toBeGreaterThanOrEqual(3);
      const freed = before - (await blobFileBytes(storeRoot));
      process.stdout.write(`[s3-e2e] 2 replicas on versitygw: garbage-collect deleted ${last?.blobsDeleted} blobs, ${freed} bytes freed on the backend\n`);
      expect(freed).toBeGreaterThanOrEqual(16_384);
      for (const url of await replicaUrls(name, 2)) {
        const check = new RegistryV2Client({ url, allowPlainHttp: true });
        expect((await check.headManifest('app', 'v1')).digest).toBe(kept.digest);
        await check.close();
      }

      // A changed credentials Secret rolls the pods (its content is in the pod template's hash).
      const generation = (await user.apps.readNamespacedDeployment({ name: registryChildNames(name).deployment, namespace })).metadata?.generation ?? 0;
      await serverSideApply(user, RESOURCES.secret, { ...secret, stringData: { ...secret.stringData, note: 'rotated' } }, { fieldManager: 'e2e-user', force: true });
      await eventually(async () => {
        const dep = await user.apps.readNamespacedDeployment({ name: registryChildNames(name).deployment, namespace });
        expect(dep.metadata?.generation ?? 0).toBeGreaterThan(generation);
      }, 90_000, 250);
      await replicaUrls(name, 2);
    } finally {
      await s3.stop();
    }
  }, 240_000);

  it('2.x to 3.x on the same PVC: images pushed on registry:2.8.3 (run by 2.8.2) all pull with skopeo after the image changes to registry:3.1.2; going back is refused until annotated', async () => {
    const name = 'upgrade';
    await applyRegistry(name, '3m');
    const before = await registryUrl(name);
    const single = await pushImage(before, 'app', { tags: ['v1'], seed: 'up-single', format: 'docker' });
    const oci = await pushImage(before, 'app', { tags: ['v2'], seed: 'up-oci' });
    const index = await pushIndex(before, 'multi', { tags: ['latest'], platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }], seed: 'up-index' });
    const generation = (await user.apps.readNamespacedDeployment({ name: registryChildNames(name).deployment, namespace })).metadata?.generation ?? 0;
    await applyRegistry(name, '3m', { image: 'registry:3.1.2' });
    await eventually(async () => {
      const dep = await user.apps.readNamespacedDeployment({ name: registryChildNames(name).deployment, namespace });
      expect(dep.metadata?.generation ?? 0).toBeGreaterThan(generation);
      expect(dep.status?.observedGeneration).toBe(dep.metadata?.generation);
      expect(dep.spec?.template.spec?.containers[0]?.image).toBe('registry:3.1.2');
      expect(dep.metadata?.annotations?.[LOCAL_URL_ANNOTATION] ?? before).not.toBe(before);
    }, 90_000, 250);
    const after = new URL(await registryUrl(name)).host;
    const skopeo = async (...args: string[]) => (await run('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', timeout: 60_000 })).stdout;
    for (const [reference, digest] of [['app:v1', single.digest], ['app:v2', oci.digest], ['multi:latest', index.digest]] as const) {
      const raw = await skopeo('inspect', '--tls-verify=false', '--raw', `docker://${after}/${reference}`);
      expect(`sha256:${createHash('sha256').update(raw).digest('hex')}`, reference).toBe(digest);
    }
    // Every platform of the index, layers and all, through skopeo's own copy.
    const layout = await mkdtemp(path.join(tmpdir(), 'dockmaster-upgrade-'));
    try {
      await skopeo('copy', '--all', '--src-tls-verify=false', `docker://${after}/multi:latest`, `oci:${layout}:latest`);
      await skopeo('copy', '--src-tls-verify=false', `docker://${after}/app:v1`, `oci:${layout}:v1`);
    } finally {
      await rm(layout, { recursive: true, force: true });
    }

    // Back to 2.x on the same storage is refused, and the registry keeps running 3.1.2 ...
    await applyRegistry(name, '3m', { image: 'registry:2.8.3' });
    await eventually(async () => {
      const degraded = (await readRegistry(name)).status?.conditions?.find((c) => c.type === 'Degraded');
      expect(degraded).toMatchObject({ status: 'True', reason: 'DowngradeRefused' });
    }, 60_000, 250);
    expect((await user.apps.readNamespacedDeployment({ name: registryChildNames(name).deployment, namespace })).spec?.template.spec?.containers[0]?.image).toBe('registry:3.1.2');
    // ... until the user says so.
    await user.requestJson('PATCH', objectPath(RESOURCES.registry, namespace, name), { body: { metadata: { annotations: { 'dockmaster.dev/allow-downgrade': 'true' } } }, contentType: 'application/merge-patch+json' });
    await eventually(async () => {
      expect((await user.apps.readNamespacedDeployment({ name: registryChildNames(name).deployment, namespace })).spec?.template.spec?.containers[0]?.image).toBe('registry:2.8.3');
    }, 60_000, 250);
  }, 180_000);
});
