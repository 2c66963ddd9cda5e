import { KubeConfig, Watch } from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../../controlplane/kubectl.js';
import { sharedControlPlane, uniqueNamespaceName } from '../../controlplane/shared.js';

/**
 * The shared control plane (started by the integration project's globalSetup) is a real
 * Kubernetes apiserver: versioned, reachable with kubectl and @kubernetes/client-node, enforcing
 * RBAC on client-certificate users and ServiceAccount tokens, with server-side apply and watches.
 */

const plane = sharedControlPlane();
const namespace = uniqueNamespaceName('cp-shared');
const admin = plane.kubeconfigPath;

function configMap(name: string, data: Record<string, string>): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  await kubectlOk(admin, ['create', 'namespace', namespace]);
});

describe('shared control plane', () => {
  it('was found through globalSetup, which handed the binaries folder to workers', () => {
    expect(process.env.DOCKMASTER_CONTROLPLANE_BIN).toBe(inject('dockmasterControlPlaneBin'));
  });

  it('reports the pinned Kubernetes version, stamped at build time', async () => {
    const version = JSON.parse(await kubectlOk(admin, ['version', '-o', 'json'])) as { serverVersion: { gitVersion: string; minor: string } };
    expect(version.serverVersion.gitVersion).toBe('v1.34.4');
    expect(version.serverVersion.minor).toBe('34');
  });

  it('serves kubectl: get namespaces, apply a ConfigMap', async () => {
    const namespaces = await kubectlOk(admin, ['get', 'ns', '-o', 'name']);
    expect(namespaces.split('\n')).toEqual(expect.arrayContaining(['namespace/default', 'namespace/kube-system', `namespace/${namespace}`]));
    expect(await kubectlOk(admin, ['apply', '-f', '-'], configMap('settings', { mode: 'fast' }))).toContain('configmap/settings created');
    expect(await kubectlOk(admin, ['-n', namespace, 'get', 'configmap', 'settings', '-o', 'jsonpath={.data.mode}'])).toBe('fast');
  });

  it('authenticates minted users by client certificate and enforces RBAC on them', async () => {
    const alice = await plane.mintUser('alice', ['dockmaster:testers']);
    const whoami = JSON.parse(await kubectlOk(alice, ['auth', 'whoami', '-o', 'json'])) as { status: { userInfo: { username: string; groups: string[] } } };
    expect(whoami.status.userInfo.username).toBe('alice');
    expect(whoami.status.userInfo.groups).toContain('dockmaster:testers');

    const denied = await kubectl(alice, ['-n', namespace, 'get', 'configmaps']);
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toContain('User "alice" cannot list resource "configmaps"');

    await kubectlOk(admin, ['-n', namespace, 'create', 'role', 'reader', '--verb=get,list', '--resource=configmaps']);
    await kubectlOk(admin, ['-n', namespace, 'create', 'rolebinding', 'alice-reads', '--role=reader', '--group=dockmaster:testers']);
    // The RBAC authorizer reads bindings from an informer cache: allow it a moment.
    const listed = await eventually(async () => {
      const result = await kubectl(alice, ['-n', namespace, 'get', 'configmaps', '-o', 'name']);
      return result.exitCode === 0 ? result.stdout : undefined;
    });
    expect(listed).toContain('configmap/settings');
    expect((await kubectl(alice, ['-n', namespace, 'delete', 'configmap', 'settings'])).stderr).toContain('cannot delete resource');
  });

  it('issues ServiceAccount tokens through the TokenRequest API', async () => {
    const { token, kubeconfigPath } = await plane.mintServiceAccountToken(namespace, 'robot');
    expect(token.split('.')).toHaveLength(3);
    const whoami = JSON.parse(await kubectlOk(kubeconfigPath, ['auth', 'whoami', '-o', 'json'])) as { status: { userInfo: { username: string; groups: string[] } } };
    expect(whoami.status.userInfo.username).toBe(`system:serviceaccount:${namespace}:robot`);
    expect(whoami.status.userInfo.groups).toContain(`system:serviceaccounts:${namespace}`);
    // Minting again for the same account reuses it instead of failing on AlreadyExists.
    expect((await plane.mintServiceAccountToken(namespace, 'robot')).token).not.toBe(token);
  });

  it('does server-side apply with field ownership and conflicts', async () => {
    const applyAs = (manager: string, data: Record<string, string>, force = false) =>
      kubectl(admin, ['apply', '--server-side', `--field-manager=${manager}`, ...(force ? ['--force-conflicts'] : []), '-f', '-'], configMap('owned', data));
    expect((await applyAs('dockmaster', { replicas: '1' })).exitCode).toBe(0);
    const conflict = await applyAs('someone-else', { replicas: '2' });
    expect(conflict.exitCode).not.toBe(0);
    expect(conflict.stderr).toContain('conflict with "dockmaster"');
    expect((await applyAs('someone-else', { replicas: '2' }, true)).exitCode).toBe(0);
    const managed = JSON.parse(await kubectlOk(admin, ['-n', namespace, 'get', 'configmap', 'owned', '--show-managed-fields', '-o', 'json'])) as {
      metadata: { managedFields: { manager: string; operation: string }[] };
    };
    expect(managed.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'someone-else', operation: 'Apply' })]);
  });

  it('streams a watch to @kubernetes/client-node loaded from the kubeconfig', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(admin);
    const seen: string[] = [];
    let abort: AbortController | undefined;
    const sawDeletion = new Promise<void>((resolve, reject) => {
      void new Watch(kubeConfig)
        .watch(
          `/api/v1/namespaces/${namespace}/configmaps`,
          { labelSelector: 'watched=yes' },
          (phase: string, object: { metadata?: { name?: string } }) => {
            seen.push(`${phase} ${object.metadata?.name ?? '?'}`);
            if (phase === 'DELETED') resolve();
          },
          (error: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : undefined),
        )
        .then((controller) => (abort = controller), reject);
    });
    // The watch is established once its request has been answered; give it that moment.
    await eventually(async () => (abort ? true : undefined));
    const labelled = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace, labels: { watched: 'yes' } } });
    await kubectlOk(admin, ['apply', '-f', '-'], labelled);
    await kubectlOk(admin, ['-n', namespace, 'label', 'configmap', 'watched', 'extra=1']);
    await kubectlOk(admin, ['-n', namespace, 'delete', 'configmap', 'watched']);
    await sawDeletion;
    abort?.abort();
    expect(seen).toEqual(['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
  });
});
