import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONTROLLERS, startControlPlane, type ControlPlane } from '../../controlplane/control-plane.js';
import { kubectl, kubectlOk } from '../../controlplane/kubectl.js';
import { eventually } from '../runtime/wait.js';
import { freePort, startOperatorProcess, startWebhookProcess, type OperatorProcess } from '../cli/operator-process.js';
import { CHART, helmOk } from './helm.js';

const NS = 'dockmaster-system';
const DISALLOWED = 'evil.example.com/miner:1.0';
const ALLOWED = 'registry.k8s.io/pause:3.10';
const registryYaml = (name: string): string =>
  `apiVersion: dockmaster.dev/v1alpha1\nkind: Registry\nmetadata: {name: ${name}}\nspec: {storage: {pvc: {size: 1Gi}}}\n`;

interface Vwc {
  webhooks: Array<{ timeoutSeconds: number; clientConfig: { caBundle?: string } }>;
}

// The chart installed, upgraded and uninstalled with real helm on an apiserver of its own (its
// failurePolicy Fail configuration would judge every other test's Pods). No container runtime
// runs the chart's pods: the webhook and the operator run as local processes under exactly the
// chart's ServiceAccounts and RBAC, with the configuration the chart rendered into its ConfigMap.
describe('helm install, upgrade, uninstall (charts/dockmaster)', () => {
  let plane: ControlPlane;
  let webhook: OperatorProcess | undefined;
  let operator: OperatorProcess | undefined;
  let port: number;
  const release = (): string[] => ['--kubeconfig', plane.kubeconfigPath, '--namespace', NS];

  beforeAll(async () => {
    plane = await startControlPlane();
    // The PVC protection controller lifts the kubernetes.io/pvc-protection finalizer, which a
    // namespace deletion waits for.
    await plane.startControllerManager({ controllers: [...DEFAULT_CONTROLLERS, 'persistentvolumeclaim-protection-controller'] });
    port = await freePort();
  }, 120_000);

  afterAll(async () => {
    operator?.kill();
    webhook?.kill();
    await plane?.stop();
  }, 60_000);

  const admin = (): string => plane.kubeconfigPath;
  const chartConfig = async (): Promise<Record<string, unknown>> =>
    parse(await kubectlOk(admin(), ['-n', NS, 'get', 'configmap', 'dockmaster-config', '-o', 'jsonpath={.data.config\\.yaml}'])) as Record<string, unknown>;
  const vwc = async (): Promise<Vwc> => JSON.parse(await kubectlOk(admin(), ['get', 'validatingwebhookconfiguration', 'dockmaster-image-sources', '-o', 'json'])) as Vwc;
  const judged = async (ns: string, image: string) => kubectl(admin(), ['-n', ns, 'run', `p-${Math.random().toString(36).slice(2, 8)}`, `--image=${image}`, '--dry-run=server']);

  async function startWebhook(): Promise<void> {
    const { kubeconfigPath } = await plane.mintServiceAccountToken(NS, 'dockmaster-webhook');
    webhook = await startWebhookProcess({ kubeconfig: kubeconfigPath, config: await chartConfig(), port, configFile: `${plane.dir}/webhook.yaml` });
  }

  it('installs: the webhook denies a disallowed Pod and the operator reconciles a Registry, each under the chart RBAC', async () => {
    // webhook.url: the apiserver calls the local process instead of the Service.
    const out = await helmOk(['install', 'dockmaster', CHART, ...release(), '--create-namespace', '--set', `webhook.url=https://127.0.0.1:${port}/validate`]);
    expect(out).toContain('STATUS: deployed');
    expect(out).toContain('The operator watches every namespace.');
    await startWebhook();
    await kubectlOk(admin(), ['create', 'namespace', 'apps']);
    await eventually(async () => expect((await judged('apps', DISALLOWED)).stderr, webhook?.stderr()).toContain('not allowed'), 60_000, 250);
    expect((await judged('apps', ALLOWED)).exitCode).toBe(0);
    expect((await vwc()).webhooks[0]?.clientConfig.caBundle).toBeTruthy();

    const { kubeconfigPath } = await plane.mintServiceAccountToken(NS, 'dockmaster');
    operator = await startOperatorProcess({ kubeconfig: kubeconfigPath, configYaml: JSON.stringify(await chartConfig()), configFile: `${plane.dir}/operator.yaml` });
    for (const ns of ['registries', 'team-gone']) {
      await kubectlOk(admin(), ['create', 'namespace', ns]);
      await kubectlOk(admin(), ['-n', ns, 'apply', '-f', '-'], registryYaml(ns === 'registries' ? 'kept' : 'gone'));
    }
    for (const [ns, name] of [['registries', 'kept'], ['team-gone', 'gone']] as const) {
      await eventually(async () => {
        const reg = JSON.parse(await kubectlOk(admin(), ['-n', ns, 'get', 'registry', name, '-o', 'json'])) as { status?: { observedGeneration?: number } };
        expect(reg.status?.observedGeneration, operator?.stderr()).toBe(1);
        await kubectlOk(admin(), ['-n', ns, 'get', 'pvc', `${name}-registry-data`]);
      }, 60_000, 250);
    }
    for (const [who, process] of [['dockmaster', operator], ['dockmaster-webhook', webhook]] as const) {
      expect(process?.stderr()).not.toMatch(new RegExp(`system:serviceaccount:${NS}:${who}\\W* cannot `));
    }
  }, 240_000);

  it('upgrades with changed values, which take effect; the caBundle the webhook wrote survives helm', async () => {
    const before = await vwc();
    const checksum = async (): Promise<string> => kubectlOk(admin(), ['-n', NS, 'get', 'deployment', 'dockmaster-webhook', '-o', "jsonpath={.spec.template.metadata.annotations['checksum/config']}"]);
    const oldChecksum = await checksum();
    const out = await helmOk(['upgrade', 'dockmaster', CHART, ...release(), '--reuse-values', '--set', 'admission.mode=warn', '--set', 'webhook.timeoutSeconds=9']);
    expect(out).toContain('STATUS: deployed');
    const after = await vwc();
    expect(after.webhooks[0]?.timeoutSeconds).toBe(9);
    // Neither helm nor the webhook overwrote the other: helm never sets caBundle.
    expect(after.webhooks[0]?.clientConfig.caBundle).toBe(before.webhooks[0]?.clientConfig.caBundle);
    // The configuration changed, so the pods would roll; the local webhook restarts as a pod would.
    expect(await checksum()).not.toBe(oldChecksum);
    expect((await chartConfig()).admission).toMatchObject({ mode: 'warn' });
    await webhook?.stop();
    await startWebhook();
    await eventually(async () => {
      const r = await judged('apps', DISALLOWED);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/Warning: dockmaster: .*is not from an allowed source/);
    }, 60_000, 250);
  }, 180_000);

  it('uninstalls in the documented order: Registries first, then helm; CRDs, Registries and PVCs stay; no namespace is blocked', async () => {
    // 1. Delete the Registries you no longer want while the operator runs: its finalizer keeps the PVC.
    await kubectlOk(admin(), ['-n', 'team-gone', 'delete', 'registry', 'gone', '--wait=true', '--timeout=60s']);
    const pvc = JSON.parse(await kubectlOk(admin(), ['-n', 'team-gone', 'get', 'pvc', 'gone-registry-data', '-o', 'json'])) as { metadata: { ownerReferences?: unknown[] } };
    expect(pvc.metadata.ownerReferences ?? []).toEqual([]);
    // 2. helm uninstall; the processes the Deployments ran go with it.
    expect(await operator?.stop()).toBe(0);
    await webhook?.stop();
    operator = undefined;
    webhook = undefined;
    const out = await helmOk(['uninstall', 'dockmaster', ...release()]);
    expect(out).toContain('release "dockmaster" uninstalled');
    // Kept by default: the CRDs, so the Registry left and its PVC.
    await kubectlOk(admin(), ['get', 'crd', 'registries.dockmaster.dev', 'retentionpolicies.dockmaster.dev']);
    await kubectlOk(admin(), ['-n', 'registries', 'get', 'registry', 'kept']);
    await kubectlOk(admin(), ['-n', 'registries', 'get', 'pvc', 'kept-registry-data']);
    await kubectlOk(admin(), ['-n', 'team-gone', 'get', 'pvc', 'gone-registry-data']);
    // Admission is gone with the chart: nothing is judged by a webhook that no longer runs.
    expect((await kubectl(admin(), ['get', 'validatingwebhookconfiguration', 'dockmaster-image-sources'])).exitCode).not.toBe(0);
    expect((await judged('apps', DISALLOWED)).exitCode).toBe(0);
    // 3. A namespace whose Registries went first is deleted like any other.
    await kubectlOk(admin(), ['delete', 'namespace', 'team-gone', '--wait=true', '--timeout=60s']);
    // A Registry left behind keeps its finalizer, and with no operator its namespace stays
    // Terminating. The documented way out: drop the finalizer (the namespace's PVCs go anyway).
    await kubectlOk(admin(), ['delete', 'namespace', 'registries', '--wait=false']);
    await eventually(async () => {
      const ns = JSON.parse(await kubectlOk(admin(), ['get', 'namespace', 'registries', '-o', 'json'])) as { status: { conditions?: Array<{ type: string; status: string; message?: string }> } };
      const remaining = ns.status.conditions?.find((c) => c.type === 'NamespaceFinalizersRemaining');
      expect(remaining?.status).toBe('True');
      expect(remaining?.message).toContain('dockmaster.dev/registry-cleanup');
    }, 60_000, 500);
    await kubectlOk(admin(), ['-n', 'registries', 'patch', 'registry', 'kept', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await eventually(async () => expect((await kubectl(admin(), ['get', 'namespace', 'registries'])).exitCode).not.toBe(0), 60_000, 500);
  }, 240_000);
});
