import type { V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { deleteWebhookConfiguration } from '../../../src/admission/webhook/webhook-registration.js';
import { loadKubeConfig } from '../../../src/runtime/kube-client.js';
import { kubectl, kubectlOk } from '../../controlplane/kubectl.js';
import { sharedControlPlane, uniqueNamespaceName } from '../../controlplane/shared.js';
import { freePort, startOperatorProcess, type OperatorProcess } from '../cli/operator-process.js';
import { eventually } from '../runtime/wait.js';
import { servedCertificateFingerprint, TEST_NAMESPACE_LABEL } from './webhook-under-test.js';
import { createTestKubeClients } from '../../harness/typed-clients.js';

const DISALLOWED = 'evil.example.com/miner:1.0';

// Two `dockmaster operator` replicas with admission.webhook.enabled: both serve, one registers.
describe('dockmaster operator with the admission webhook', () => {
  const plane = sharedControlPlane();
  const kc = plane.kubeconfigPath;
  const clients = createTestKubeClients(loadKubeConfig({ kubeconfigPath: kc }));
  const ns = uniqueNamespaceName('op-webhook');
  const id = ns.slice('op-webhook-'.length);
  const configurationName = `dockmaster-image-sources-op-${id}`;
  const replicas: Array<{ process: OperatorProcess; webhookPort: number }> = [];

  beforeAll(async () => {
    await kubectlOk(kc, ['apply', '-k', 'crds/']);
    await kubectlOk(kc, ['wait', '--for=condition=Established', 'crd/registries.dockmaster.dev', '--timeout=60s']);
    await clients.core.createNamespace({ body: { metadata: { name: ns, labels: { [TEST_NAMESPACE_LABEL]: id } } } });
    for (const replica of ['a', 'b']) {
      const webhookPort = await freePort();
      const config = {
        // The operator namespace (Lease, Secret) is the test namespace: exempt, so it is also where nothing is checked.
        namespace: ns,
        admission: {
          allowedRegistries: ['registry.k8s.io'],
          webhook: {
            enabled: true,
            host: '127.0.0.1',
            port: webhookPort,
            url: `https://127.0.0.1:${webhookPort}/validate`,
            configurationName,
            matchNamespaceLabels: { [TEST_NAMESPACE_LABEL]: id },
          },
        },
      };
      const process = await startOperatorProcess({ kubeconfig: kc, configYaml: stringify(config), configFile: `${plane.dir}/operator-webhook-${id}-${replica}.yaml`, watchNamespace: ns });
      replicas.push({ process, webhookPort });
    }
    await clients.core.createNamespace({ body: { metadata: { name: `${ns}-apps`, labels: { [TEST_NAMESPACE_LABEL]: id } } } });
  }, 120_000);

  afterAll(async () => {
    for (const replica of replicas) await replica.process.stop();
    await deleteWebhookConfiguration(clients, configurationName);
    for (const name of [ns, `${ns}-apps`]) await clients.core.deleteNamespace({ name }).catch(() => undefined);
  }, 60_000);

  it('serves the same certificate on every replica, from the Secret the leader keeps', async () => {
    const fingerprints = await Promise.all(replicas.map((r) => servedCertificateFingerprint(r.webhookPort)));
    expect(fingerprints[0]).toBe(fingerprints[1]);
    const secret = await clients.core.readNamespacedSecret({ namespace: ns, name: 'dockmaster-webhook-tls' });
    expect(secret.type).toBe('kubernetes.io/tls');
  });

  it("registers the leader's webhook, which denies a disallowed Pod", async () => {
    await eventually(async () => {
      const result = await kubectl(kc, ['-n', `${ns}-apps`, 'run', 'bad', `--image=${DISALLOWED}`, '--dry-run=server']);
      expect(result.stderr, replicas.map((r) => r.process.stderr()).join('\n')).toContain('not allowed');
    }, 60_000, 250);
    const allowed = await kubectl(kc, ['-n', `${ns}-apps`, 'run', 'good', '--image=registry.k8s.io/pause:3.10', '--dry-run=server']);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
  }, 70_000);

  it('the operator namespace is exempt', async () => {
    const result = await kubectl(kc, ['-n', ns, 'run', 'own', `--image=${DISALLOWED}`, '--dry-run=server']);
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('re-applies the configuration when someone edits it (it applies the whole configuration here)', async () => {
    const path = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${configurationName}`;
    await clients.requestJson('PATCH', path, {
      body: [{ op: 'replace', path: '/webhooks/0/failurePolicy', value: 'Ignore' }],
      contentType: 'application/json-patch+json',
    });
    await eventually(async () => {
      const vwc = await clients.requestJson<V1ValidatingWebhookConfiguration>('GET', path);
      expect(vwc.webhooks?.[0]?.failurePolicy).toBe('Fail');
    }, 15_000, 200);
  });
});
