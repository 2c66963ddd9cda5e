import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../controlplane/control-plane.js';
import { kubectl, kubectlOk } from '../../controlplane/kubectl.js';

/**
 * A control plane of this file's own, for what would disturb the shared one: restarting
 * kube-apiserver, and kube-controller-manager (its Deployment controller would fight the
 * stand-in kubelet other tests use).
 */

let plane: ControlPlane;
let admin: string;
const namespace = 'cp-own';

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function watchFromRevisionOne(): Promise<string> {
  return kubectlOk(admin, ['get', '--raw', `/api/v1/namespaces/${namespace}/configmaps?watch=1&resourceVersion=1&timeoutSeconds=1`]);
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

beforeAll(async () => {
  plane = await startControlPlane();
  admin = plane.kubeconfigPath;
  await kubectlOk(admin, ['create', 'namespace', namespace]);
});

afterAll(async () => {
  const dir = plane.dir;
  await plane.stop();
  expect(existsSync(dir)).toBe(false);
});

describe('own control plane', () => {
  it('fails naming the missing binaries when DOCKMASTER_CONTROLPLANE_BIN is wrong', async () => {
    const saved = process.env.DOCKMASTER_CONTROLPLANE_BIN;
    process.env.DOCKMASTER_CONTROLPLANE_BIN = '/nonexistent/bin';
    try {
      await expect(startControlPlane({ log: () => undefined })).rejects.toThrow(
        'Control-plane binaries missing (from DOCKMASTER_CONTROLPLANE_BIN=/nonexistent/bin): /nonexistent/bin/etcd',
      );
    } finally {
      process.env.DOCKMASTER_CONTROLPLANE_BIN = saved;
    }
  });

  it('keeps its data and its address across an apiserver restart', async () => {
    await kubectlOk(admin, ['-n', namespace, 'create', 'configmap', 'survivor', '--from-literal=kept=yes']);
    // Quirk: the watch cache answers 410 only below the etcd revision it was first filled at. Started
    // on an empty etcd, that revision is ~1, so a watch from resourceVersion 1 replays history
    // instead of expiring; once restarted on a filled etcd, it expires as on any real cluster.
    expect(await watchFromRevisionOne()).toContain('"type":"ADDED"');
    const before = plane.pids()['kube-apiserver'];
    await plane.restartApiServer();
    expect(await watchFromRevisionOne()).toMatch(/"reason":"Expired","code":410/);
    expect(plane.pids()['kube-apiserver']).not.toBe(before);
    // Same kubeconfig, same port, same etcd: the object is still there.
    expect(await kubectlOk(admin, ['-n', namespace, 'get', 'configmap', 'survivor', '-o', 'jsonpath={.data.kept}'])).toBe('yes');
    // Certificates minted before the restart still authenticate (same CA).
    const bob = await plane.mintUser('bob');
    expect(await kubectlOk(bob, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).toBe('bob');
  });

  it('runs kube-controller-manager: a Deployment gets a ReplicaSet', async () => {
    await plane.startControllerManager();
    expect(Object.keys(plane.pids()).sort()).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager']);
    await kubectlOk(admin, ['-n', namespace, 'create', 'deployment', 'web', '--image=registry:2.8.3', '--replicas=2']);
    const owner = await eventually(async () => {
      const out = await kubectl(admin, ['-n', namespace, 'get', 'replicasets', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.ownerReferences[0].name}']);
      return out.exitCode === 0 && out.stdout !== '' ? out.stdout : undefined;
    });
    expect(owner).toBe('web');
    // The ReplicaSet controller creates the Pods (nothing schedules or runs them here).
    const pods = await eventually(async () => {
      const out = await kubectlOk(admin, ['-n', namespace, 'get', 'pods', '-l', 'app=web', '-o', 'name']);
      const names = out.trim().split('\n').filter(Boolean);
      return names.length === 2 ? names : undefined;
    });
    expect(pods).toHaveLength(2);
  });

  it('garbage-collects a child when its owner is deleted (owner references)', async () => {
    await kubectlOk(admin, ['-n', namespace, 'create', 'configmap', 'parent']);
    const uid = await kubectlOk(admin, ['-n', namespace, 'get', 'configmap', 'parent', '-o', 'jsonpath={.metadata.uid}']);
    const child = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'child', namespace, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'parent', uid }] },
    };
    await kubectlOk(admin, ['apply', '-f', '-'], JSON.stringify(child));
    await kubectlOk(admin, ['-n', namespace, 'delete', 'configmap', 'parent']);
    const gone = await eventually(async () => {
      const out = await kubectl(admin, ['-n', namespace, 'get', 'configmap', 'child']);
      return out.stderr.includes('NotFound') ? true : undefined;
    });
    expect(gone).toBe(true);
  });

  it('stays within a modest memory budget', () => {
    const rss = Object.fromEntries(Object.entries(plane.pids()).map(([name, pid]) => [name, Math.round(rssKiB(pid) / 1024)]));
    console.info(`Control-plane RSS (MiB): ${JSON.stringify(rss)}`);
    expect(rss.etcd).toBeLessThan(300);
    expect(rss['kube-apiserver']).toBeLessThan(1024);
  });
});
