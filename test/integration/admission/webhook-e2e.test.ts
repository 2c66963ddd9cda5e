import type { V1Secret, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCertificateFacts } from '../../../src/admission/certs/certificate-facts.js';
import { loadKubeConfig } from '../../../src/runtime/kube-client.js';
import { sharedControlPlane, uniqueNamespaceName } from '../../controlplane/shared.js';
import { kubectl, kubectlOk } from '../../controlplane/kubectl.js';
import { OPERATOR_NAMESPACE, webhookKubeconfigUnderDeployRbac } from '../least-privilege.js';
import { installRegistryCrd } from '../controllers/registry/registry-crd.js';
import { eventually } from '../runtime/wait.js';
import { servedCertificateFingerprint, startWebhookUnderTest, TEST_NAMESPACE_LABEL, waitUntilActive, type WebhookUnderTest } from './webhook-under-test.js';
import { createTestKubeClients } from '../../harness/typed-clients.js';

const ALLOWED = 'registry.k8s.io/pause:3.10';
const DISALLOWED = 'evil.example.com/miner:1.0';

function pod(name: string, images: string[]): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } };
}

function deployment(name: string, image: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } } },
  };
}

describe('admission webhook on the real apiserver', () => {
  const kc = sharedControlPlane().kubeconfigPath;
  const id = uniqueNamespaceName('adm').slice(4);
  const ns = `adm-${id}`;
  const exemptNs = `adm-exempt-${id}`;
  let under: WebhookUnderTest;

  beforeAll(async () => {
    await installRegistryCrd(createTestKubeClients(loadKubeConfig({ kubeconfigPath: kc })));
    // Every CRD (RetentionPolicy too), for apply-time validation; server-side, like crds.test.ts.
    await kubectlOk(kc, ['apply', '--server-side', '--force-conflicts', '--field-manager=crd-tests', '-k', 'crds/']);
    await kubectlOk(kc, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/retentionpolicies.dockmaster.dev']);
    // Under deploy/'s webhook ServiceAccount and RBAC, as deploy/ runs it: the configuration
    // (`dockmaster-image-sources`, the one name RBAC lets it patch) is installed first, and the
    // webhook patches only its caBundle; its Secret is `dockmaster-webhook-tls`, the one name it may update.
    const webhookKubeconfig = await webhookKubeconfigUnderDeployRbac(sharedControlPlane());
    under = await startWebhookUnderTest(
      kc,
      id,
      {
        mode: 'enforce',
        allowedRegistries: ['registry.k8s.io'],
        exemptNamespaces: ['kube-system', exemptNs],
        // The admin maps the test's hostname to its namespace: a Registry's hostnames count for admission only so.
        registries: { hostnames: [{ pattern: `images-${id}.example.com`, namespace: ns }] },
        webhook: { configurationName: 'dockmaster-image-sources', patchCaBundleOnly: true, certificate: { secretName: 'dockmaster-webhook-tls' } },
      },
      { webhookKubeconfig, operatorNamespace: OPERATOR_NAMESPACE },
    );
    await under.namespace(ns);
    await under.namespace(exemptNs);
    await waitUntilActive(async () => (await kubectl(kc, ['-n', ns, 'run', 'probe', `--image=${DISALLOWED}`, '--dry-run=server'])).exitCode !== 0);
  }, 90_000);

  afterAll(async () => {
    await under?.stop();
  }, 60_000);

  it('keeps CA and serving certificate in a kubernetes.io/tls Secret and publishes the CA as caBundle', async () => {
    const secret = await under.clients.requestJson<V1Secret>('GET', `/api/v1/namespaces/${under.operatorNamespace}/secrets/dockmaster-webhook-tls`);
    expect(secret.type).toBe('kubernetes.io/tls');
    const data = secret.data ?? {};
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    const caPem = Buffer.from(data['ca.crt'] ?? '', 'base64').toString();
    const vwc = await under.clients.requestJson<V1ValidatingWebhookConfiguration>('GET', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${under.configurationName}`);
    const hook = vwc.webhooks?.[0];
    expect(Buffer.from(hook?.clientConfig.caBundle ?? '', 'base64').toString()).toBe(caPem);
    expect(hook).toMatchObject({ failurePolicy: 'Fail', sideEffects: 'None', timeoutSeconds: 5, admissionReviewVersions: ['v1'] });
    expect(hook?.rules?.flatMap((r) => r.resources)).toEqual(expect.arrayContaining(['pods', 'pods/ephemeralcontainers', 'deployments', 'cronjobs', 'replicationcontrollers']));
    const served = await readCertificateFacts(Buffer.from(data['tls.crt'] ?? '', 'base64').toString(), [caPem]);
    expect(served.issuerFingerprint).toBeDefined();
  });

  it('refuses an invalid RetentionPolicy at kubectl apply naming the field, admits a valid one, and ratchets: an old invalid object can still be edited elsewhere and deleted', async () => {
    const manifest = (name: string, spec: Record<string, unknown>) =>
      JSON.stringify({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'RetentionPolicy', metadata: { name, namespace: ns }, spec: { registryRef: { name: 'main' }, keep: [{ mostRecent: 3 }], ...spec } });
    const refused = await kubectl(kc, ['apply', '-f', '-'], manifest('bad-cron', { schedule: '0 25 * * *' }));
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/admission webhook "resources\.dockmaster\.dev" denied the request: RetentionPolicy bad-cron is invalid: spec\.schedule: /);
    await kubectlOk(kc, ['apply', '-f', '-'], manifest('good', { schedule: '0 2 * * *', timeZone: 'Europe/Paris' }));

    // An object stored before the rule (here: while its namespace was not matched) stays editable.
    await kubectlOk(kc, ['label', 'namespace', ns, `${TEST_NAMESPACE_LABEL}-`]);
    await kubectlOk(kc, ['apply', '-f', '-'], manifest('old-invalid', { schedule: '0 25 * * *' }));
    await kubectlOk(kc, ['label', 'namespace', ns, `${TEST_NAMESPACE_LABEL}=${under.id}`]);
    await waitUntilActive(async () => (await kubectl(kc, ['apply', '--dry-run=server', '-f', '-'], manifest('probe', { schedule: '0 25 * * *' }))).exitCode !== 0);
    const edited = await kubectl(kc, ['apply', '-f', '-'], manifest('old-invalid', { schedule: '0 25 * * *', dryRun: true }));
    expect(edited.exitCode, edited.stderr).toBe(0);
    expect(edited.stderr).toMatch(/Warning: already invalid before this update.*spec\.schedule/);
    const worse = await kubectl(kc, ['apply', '-f', '-'], manifest('old-invalid', { schedule: '0 25 * * *', dryRun: true, timeZone: 'Nowhere/Land' }));
    expect(worse.exitCode).not.toBe(0);
    expect(worse.stderr).toMatch(/spec\.timeZone/);
    await kubectlOk(kc, ['-n', ns, 'delete', 'retentionpolicy', 'old-invalid', 'good']);
  });

  it('denies a Pod and a Deployment with a disallowed image, with our message in kubectl stderr', async () => {
    const deniedPod = await under.apply(ns, pod('bad-pod', [ALLOWED, DISALLOWED]));
    expect(deniedPod.exitCode).not.toBe(0);
    expect(deniedPod.stderr).toContain('denied the request');
    expect(deniedPod.stderr).toContain(`Pod ${ns}/bad-pod: 1 container image(s) not allowed`);
    expect(deniedPod.stderr).toContain(DISALLOWED);
    expect(deniedPod.stderr).toContain('registry.k8s.io');
    const deniedDeployment = await under.apply(ns, deployment('bad-deploy', DISALLOWED));
    expect(deniedDeployment.exitCode).not.toBe(0);
    expect(deniedDeployment.stderr).toContain(`Deployment ${ns}/bad-deploy`);
  });

  it('admits a Pod and a Deployment with allowed images', async () => {
    expect((await under.apply(ns, pod('good-pod', [ALLOWED]))).exitCode).toBe(0);
    expect((await under.apply(ns, deployment('good-deploy', ALLOWED))).exitCode).toBe(0);
  });

  it('never blocks an exempt namespace', async () => {
    const result = await under.apply(exemptNs, pod('exempt-pod', [DISALLOWED]));
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('admits images of a Registry with admission.allowed and hostnames, without a restart', async () => {
    const image = `images-${id}.example.com/team/web:1.0`;
    expect((await under.apply(ns, pod('before-registry', [image]))).exitCode).not.toBe(0);
    const registry = { apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name: 'team' }, spec: { storage: { emptyDir: {} }, hostnames: [`images-${id}.example.com`] } };
    const created = await under.apply(ns, registry);
    expect(created.exitCode, created.stderr).toBe(0);
    await eventually(async () => {
      const result = await under.apply(ns, pod('after-registry', [image, `team.${ns}.svc:5000/team/web:1.0`]));
      expect(result.exitCode, result.stderr).toBe(0);
    }, 15_000, 200);
  });

  it('warn mode admits with the warnings kubectl prints', async () => {
    under.webhook.policy.setConfig({ mode: 'warn', allowedRegistries: ['registry.k8s.io'], exemptNamespaces: ['kube-system', exemptNs] });
    try {
      const result = await under.apply(ns, pod('warned-pod', [DISALLOWED]));
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toContain('Warning: dockmaster:');
      expect(result.stderr).toContain(DISALLOWED);
    } finally {
      under.webhook.policy.setConfig({ mode: 'enforce', allowedRegistries: ['registry.k8s.io'], exemptNamespaces: ['kube-system', exemptNs] });
    }
  });

  it('rotates the serving certificate without a restart and keeps admitting', async () => {
    const before = await servedCertificateFingerprint(under.port);
    const outcome = await under.webhook.rotateServingCertificate();
    expect(outcome?.changes).toContain('issue-serving-certificate');
    await eventually(async () => expect(await servedCertificateFingerprint(under.port)).not.toBe(before), 15_000, 100);
    expect((await under.apply(ns, pod('after-rotation', [ALLOWED]))).exitCode).toBe(0);
    const denied = await under.apply(ns, pod('denied-after-rotation', [DISALLOWED]));
    expect(denied.stderr).toContain('not allowed');
  });

  it('restores its caBundle when someone edits it, and leaves every other field to whoever installed the configuration', async () => {
    const path = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${under.configurationName}`;
    const before = await under.clients.requestJson<V1ValidatingWebhookConfiguration>('GET', path);
    await under.clients.requestJson('PATCH', path, {
      body: [
        { op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: Buffer.from('not a CA').toString('base64') },
        { op: 'replace', path: '/webhooks/0/timeoutSeconds', value: 7 },
      ],
      contentType: 'application/json-patch+json',
    });
    await eventually(async () => {
      const vwc = await under.clients.requestJson<V1ValidatingWebhookConfiguration>('GET', path);
      expect(vwc.webhooks?.[0]?.clientConfig.caBundle).toBe(before.webhooks?.[0]?.clientConfig.caBundle);
    }, 15_000, 200);
    const after = await under.clients.requestJson<V1ValidatingWebhookConfiguration>('GET', path);
    expect(after.webhooks?.[0]?.timeoutSeconds).toBe(7);
    // Server-side apply shows what the webhook owns: the caBundle, by name, and nothing else of the webhook.
    const owned = after.metadata?.managedFields?.find((f) => f.manager === 'dockmaster-webhook-cabundle')?.fieldsV1 as Record<string, unknown> | undefined;
    expect(JSON.stringify(owned)).toContain('f:caBundle');
    expect(JSON.stringify(owned)).not.toContain('f:timeoutSeconds');
    expect(JSON.stringify(owned)).not.toContain('f:rules');
  });
});
