import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startControlPlane, type ControlPlane } from '../../controlplane/control-plane.js';
import { kubectl, kubectlOk } from '../../controlplane/kubectl.js';
import { uniqueNamespaceName } from '../../controlplane/shared.js';
import { eventually } from '../runtime/wait.js';
import { freePort, startOperatorProcess, startWebhookProcess, type OperatorProcess } from '../cli/operator-process.js';

const DISALLOWED = 'evil.example.com/miner:1.0';
const ALLOWED = 'registry.k8s.io/pause:3.10';

// deploy/ applied whole and for real (not a dry run) on an apiserver of its own (its
// failurePolicy Fail webhook configuration would otherwise judge every other test's Pods), then
// the webhook and the operator run under exactly its ServiceAccounts and RBAC: a verb the
// manifests lack fails this test.
describe('deploy/', () => {
  let plane: ControlPlane;
  let webhook: OperatorProcess | undefined;
  let operator: OperatorProcess | undefined;

  beforeAll(async () => {
    plane = await startControlPlane();
  }, 120_000);

  afterAll(async () => {
    operator?.kill();
    webhook?.kill();
    await plane?.stop();
  }, 60_000);

  async function deployedConfig(): Promise<Record<string, unknown>> {
    const text = await kubectlOk(plane.kubeconfigPath, ['-n', 'dockmaster-system', 'get', 'configmap', 'dockmaster-config', '-o', 'jsonpath={.data.config\\.yaml}']);
    return parse(text) as Record<string, unknown>;
  }

  it('applies with kubectl apply -k and every object is accepted', async () => {
    const out = await kubectlOk(plane.kubeconfigPath, ['apply', '-k', 'deploy/']);
    for (const object of [
      'namespace/dockmaster-system',
      'customresourcedefinition.apiextensions.k8s.io/registries.dockmaster.dev',
      'serviceaccount/dockmaster',
      'serviceaccount/dockmaster-webhook',
      'clusterrole.rbac.authorization.k8s.io/dockmaster-operator',
      'clusterrole.rbac.authorization.k8s.io/dockmaster-webhook',
      'deployment.apps/dockmaster-operator',
      'deployment.apps/dockmaster-webhook',
      'validatingwebhookconfiguration.admissionregistration.k8s.io/dockmaster-image-sources',
      'service/dockmaster-webhook',
      'service/dockmaster-webhook-metrics',
      'poddisruptionbudget.policy/dockmaster-operator',
      'poddisruptionbudget.policy/dockmaster-webhook',
      'networkpolicy.networking.k8s.io/dockmaster-webhook',
      'configmap/dockmaster-config',
    ]) {
      expect(out).toContain(object);
    }
  });

  it('admission keeps answering while the operator is SIGKILLed: the webhook runs apart, as its own ServiceAccount, and patches only the caBundle', async () => {
    const admin = plane.kubeconfigPath;
    // No pod runs here: the webhook is a local process the apiserver calls by URL instead of the
    // Service (the admin's only edit of the shipped configuration).
    const port = await freePort();
    const url = `https://127.0.0.1:${port}/validate`;
    await kubectlOk(admin, ['patch', 'validatingwebhookconfiguration', 'dockmaster-image-sources', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/webhooks/0/clientConfig', value: { url } }])]);
    const deployed = await deployedConfig();
    const admission = deployed.admission as { webhook?: Record<string, unknown> };
    const { kubeconfigPath: webhookKc } = await plane.mintServiceAccountToken('dockmaster-system', 'dockmaster-webhook');
    webhook = await startWebhookProcess({
      kubeconfig: webhookKc,
      config: { ...deployed, admission: { ...admission, webhook: { ...admission.webhook, url } } },
      port,
      configFile: `${plane.dir}/webhook.yaml`,
    });

    const ns = uniqueNamespaceName('apps');
    await kubectlOk(admin, ['create', 'namespace', ns]);
    const judged = async (image: string) => kubectl(admin, ['-n', ns, 'run', `p-${Math.random().toString(36).slice(2, 8)}`, `--image=${image}`, '--dry-run=server']);
    await eventually(async () => expect((await judged(DISALLOWED)).stderr, webhook?.stderr()).toContain('not allowed'), 60_000, 250);
    expect((await judged(ALLOWED)).exitCode).toBe(0);

    const { kubeconfigPath: operatorKc } = await plane.mintServiceAccountToken('dockmaster-system', 'dockmaster');
    operator = await startOperatorProcess({ kubeconfig: operatorKc, configYaml: stringify(deployed), configFile: `${plane.dir}/operator.yaml` });
    operator.kill();
    for (let i = 0; i < 5; i++) {
      expect((await judged(DISALLOWED)).stderr).toContain('not allowed');
      expect((await judged(ALLOWED)).exitCode).toBe(0);
    }
    operator = undefined;
    // The webhook owns the caBundle only; its RBAC has no create on webhook configurations.
    const vwc = JSON.parse(await kubectlOk(admin, ['get', 'validatingwebhookconfiguration', 'dockmaster-image-sources', '-o', 'json', '--show-managed-fields'])) as {
      metadata: { managedFields: Array<{ manager: string; fieldsV1: unknown }> };
    };
    const owned = JSON.stringify(vwc.metadata.managedFields.find((f) => f.manager === 'dockmaster-webhook-cabundle')?.fieldsV1);
    expect(owned).toContain('f:caBundle');
    expect(owned).not.toContain('f:failurePolicy');
    const canCreate = await kubectl(admin, ['auth', 'can-i', 'create', 'validatingwebhookconfigurations', '--as=system:serviceaccount:dockmaster-system:dockmaster-webhook']);
    expect(canCreate.stdout.trim()).toBe('no');
    expect(webhook.stderr()).not.toMatch(/system:serviceaccount:dockmaster-system:dockmaster-webhook\W* cannot /);
  }, 180_000);

  it('runs the Registry controller under the deploy/ ServiceAccount (least privilege)', async () => {
    const admin = plane.kubeconfigPath;
    const ns = uniqueNamespaceName('least-privilege');
    await kubectlOk(admin, ['create', 'namespace', ns]);
    const { kubeconfigPath } = await plane.mintServiceAccountToken('dockmaster-system', 'dockmaster');
    // Watches every namespace, as deployed; the Lease goes to dockmaster-system.
    operator = await startOperatorProcess({ kubeconfig: kubeconfigPath, configYaml: stringify(await deployedConfig()), configFile: `${plane.dir}/operator-least-privilege.yaml` });

    await kubectlOk(admin, ['-n', ns, 'apply', '-f', '-'], 'apiVersion: v1\nkind: Secret\nmetadata: {name: users}\nstringData: {htpasswd: "a:b"}\n');
    await kubectlOk(admin, ['-n', ns, 'apply', '-f', '-'], [
      'apiVersion: dockmaster.dev/v1alpha1',
      'kind: Registry',
      'metadata: {name: lp}',
      'spec: {storage: {pvc: {size: 1Gi, deleteOnRemoval: true}}, auth: {htpasswdSecret: users}}',
      '',
    ].join('\n'));
    for (const child of ['deployment/lp-registry', 'service/lp', 'configmap/lp-registry-config', 'secret/lp-registry-http', 'persistentvolumeclaim/lp-registry-data', 'poddisruptionbudget/lp-registry']) {
      await eventually(async () => {
        const r = await kubectl(admin, ['-n', ns, 'get', child, '-o', 'name']);
        expect(r.exitCode, `${child}: ${r.stderr}\n${operator?.stderr()}`).toBe(0);
      }, 60_000, 250);
    }
    await eventually(async () => {
      const reg = JSON.parse(await kubectlOk(admin, ['-n', ns, 'get', 'registry', 'lp', '-o', 'json'])) as { status?: { observedGeneration?: number } };
      expect(reg.status?.observedGeneration, operator?.stderr()).toBe(1);
    }, 60_000, 250);
    // Deletion runs the finalizer's cleanup under the same RBAC.
    await kubectlOk(admin, ['-n', ns, 'delete', 'registry', 'lp', '--wait=true', '--timeout=60s']);
    // An RBAC denial names the user and the verb. Other 403s are not about our RBAC: the operator
    // watches every namespace, and another namespace being deleted refuses new Events.
    expect(operator.stderr()).not.toMatch(/system:serviceaccount:dockmaster-system:dockmaster\W* cannot /);
    expect(await operator.stop()).toBe(0);
    operator = undefined;
  }, 180_000);
});
