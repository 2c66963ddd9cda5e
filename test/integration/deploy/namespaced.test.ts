import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../controlplane/control-plane.js';
import { kubectl, kubectlOk } from '../../controlplane/kubectl.js';
import { eventually } from '../runtime/wait.js';
import { startOperatorProcess, type OperatorProcess } from '../cli/operator-process.js';

const OPERATOR = 'system:serviceaccount:dockmaster-system:dockmaster';
const WATCHED = 'registries';
/** A second watched namespace, added the way the overlay says (a RoleBinding and the flag). */
const SECOND = 'team-b';
const OUTSIDE = 'elsewhere';

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: Array<{ args?: string[] }> } } };
}

// overlays/namespaced applied for real on an apiserver of its own (it would change the shared
// one's RBAC), then the operator run under exactly its RoleBindings: no ClusterRoleBinding, so a
// cluster-wide list-watch or a read outside the watched namespaces would be refused, and this
// test fails on any such refusal.
describe('overlays/namespaced (the namespaced install mode)', () => {
  let plane: ControlPlane;
  let operator: OperatorProcess | undefined;
  let rendered: Manifest[];

  beforeAll(async () => {
    plane = await startControlPlane();
    for (const ns of [WATCHED, SECOND, OUTSIDE]) await kubectlOk(plane.kubeconfigPath, ['create', 'namespace', ns]);
    const text = await kubectlOk(plane.kubeconfigPath, ['kustomize', 'overlays/namespaced']);
    rendered = parseAllDocuments(text).map((d) => d.toJS() as Manifest);
    // The shipped failurePolicy: Fail webhook configuration would judge this test's objects
    // with no webhook serving; deploy.test.ts covers it.
    const applied = rendered.filter((m) => m.kind !== 'ValidatingWebhookConfiguration');
    const binding = rendered.find((m) => m.kind === 'RoleBinding' && m.metadata.namespace === WATCHED);
    applied.push({ ...structuredClone(binding as Manifest), metadata: { ...(binding as Manifest).metadata, namespace: SECOND } });
    await kubectlOk(plane.kubeconfigPath, ['apply', '-f', '-'], applied.map((m) => stringify(m)).join('---\n'));
  }, 120_000);

  afterAll(async () => {
    operator?.kill();
    await plane?.stop();
  }, 60_000);

  const can = async (...args: string[]): Promise<string> =>
    (await kubectl(plane.kubeconfigPath, ['auth', 'can-i', ...args, `--as=${OPERATOR}`])).stdout.trim();

  it('grants the operator nothing cluster-wide: its rules hold in the watched namespace only, and Secrets are never listed', async () => {
    expect(rendered.filter((m) => m.kind === 'ClusterRoleBinding').map((m) => m.metadata.name)).toEqual(['dockmaster-webhook']);
    expect(await can('get', 'secrets', '-n', WATCHED)).toBe('yes');
    expect(await can('create', 'deployments', '-n', WATCHED)).toBe('yes');
    for (const ns of [OUTSIDE, 'kube-system', 'default']) {
      expect(await can('get', 'secrets', '-n', ns), ns).toBe('no');
      expect(await can('create', 'deployments', '-n', ns), ns).toBe('no');
      expect(await can('patch', 'services', '-n', ns), ns).toBe('no');
    }
    expect(await can('list', 'secrets', '-n', WATCHED)).toBe('no');
    expect(await can('watch', 'secrets', '-n', WATCHED)).toBe('no');
    expect(await can('list', 'registries.dockmaster.dev', '--all-namespaces')).toBe('no');
  });

  it('reconciles a Registry in its namespace, and never touches one outside, nor the Secret it names', async () => {
    const admin = plane.kubeconfigPath;
    const args = rendered.find((m) => m.kind === 'Deployment' && m.metadata.name === 'dockmaster-operator')?.spec?.template?.spec?.containers?.[0]?.args ?? [];
    const watchFlag = args.find((a) => a.startsWith('--watch-namespace='));
    expect(watchFlag).toBe(`--watch-namespace=${WATCHED}`);
    const config = await kubectlOk(admin, ['-n', 'dockmaster-system', 'get', 'configmap', 'dockmaster-config', '-o', 'jsonpath={.data.config\\.yaml}']);
    const { kubeconfigPath } = await plane.mintServiceAccountToken('dockmaster-system', 'dockmaster');
    const watched = `${watchFlag?.split('=')[1] ?? ''},${SECOND}`;
    operator = await startOperatorProcess({ kubeconfig: kubeconfigPath, configYaml: config, configFile: `${plane.dir}/operator-namespaced.yaml`, watchNamespace: watched });

    const registry = (htpasswd: string) => `apiVersion: dockmaster.dev/v1alpha1\nkind: Registry\nmetadata: {name: reg}\nspec: {storage: {pvc: {size: 1Gi, deleteOnRemoval: true}}, auth: {htpasswdSecret: ${htpasswd}}}\n`;
    for (const ns of [WATCHED, SECOND, OUTSIDE]) {
      await kubectlOk(admin, ['-n', ns, 'apply', '-f', '-'], 'apiVersion: v1\nkind: Secret\nmetadata: {name: users}\nstringData: {htpasswd: "a:b"}\n');
      await kubectlOk(admin, ['-n', ns, 'apply', '-f', '-'], registry('users'));
    }
    for (const child of ['deployment/reg-registry', 'service/reg', 'configmap/reg-registry-config', 'secret/reg-registry-http']) {
      await eventually(async () => {
        const r = await kubectl(admin, ['-n', WATCHED, 'get', child, '-o', 'name']);
        expect(r.exitCode, `${child}: ${r.stderr}\n${operator?.stderr()}`).toBe(0);
      }, 60_000, 250);
    }
    for (const ns of [WATCHED, SECOND]) {
      await eventually(async () => {
        const reg = JSON.parse(await kubectlOk(admin, ['-n', ns, 'get', 'registry', 'reg', '-o', 'json'])) as { status?: { observedGeneration?: number } };
        expect(reg.status?.observedGeneration, `${ns}: ${operator?.stderr()}`).toBe(1);
      }, 60_000, 250);
    }
    // The Registry outside: no child, no status, no finalizer; its Secret is not read (the
    // operator has no right to, and no such refusal was ever logged: it never tried).
    const outside = JSON.parse(await kubectlOk(admin, ['-n', OUTSIDE, 'get', 'registry', 'reg', '-o', 'json'])) as { status?: unknown; metadata: { finalizers?: string[] } };
    expect(outside.status).toBeUndefined();
    expect(outside.metadata.finalizers ?? []).toEqual([]);
    expect((await kubectlOk(admin, ['-n', OUTSIDE, 'get', 'deployments,services,configmaps,secrets', '-o', 'name'])).split('\n').filter((l) => l.includes('reg'))).toEqual([]);
    expect(operator.stderr()).not.toMatch(/forbidden|cannot (list|watch|get)/i);

    // Deletion runs the finalizer's cleanup under the same RoleBinding.
    for (const ns of [WATCHED, SECOND]) await kubectlOk(admin, ['-n', ns, 'delete', 'registry', 'reg', '--wait=true', '--timeout=60s']);
    expect(operator.stderr()).not.toMatch(new RegExp(`${OPERATOR}\\W* cannot `));
    expect(await operator.stop()).toBe(0);
    operator = undefined;
  }, 180_000);
});
