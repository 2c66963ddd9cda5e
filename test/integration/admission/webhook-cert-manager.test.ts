import type { V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServingCertificate, type IssuedCertificate } from '../../../src/admission/certs/issue-certificates.js';
import { loadKubeConfig } from '../../../src/runtime/kube-client.js';
import { kubectl } from '../../controlplane/kubectl.js';
import { sharedControlPlane, uniqueNamespaceName } from '../../controlplane/shared.js';
import { installRegistryCrd } from '../controllers/registry/registry-crd.js';
import { ensureNamespace, eventually } from '../runtime/wait.js';
import { servedCertificateFingerprint, startWebhookUnderTest, waitUntilActive, type WebhookUnderTest } from './webhook-under-test.js';
import { createTestKubeClients } from '../../harness/typed-clients.js';

const DISALLOWED = 'evil.example.com/miner:1.0';

/** A Secret the way cert-manager writes one for a CA issuer: kubernetes.io/tls with tls.crt, tls.key and ca.crt. */
function certManagerSecret(namespace: string, name: string, ca: IssuedCertificate, serving: IssuedCertificate): object {
  const b64 = (text: string): string => Buffer.from(text).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, annotations: { 'cert-manager.io/certificate-name': 'dockmaster-webhook' } },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(serving.certPem), 'tls.key': b64(serving.keyPem), 'ca.crt': b64(ca.certPem) },
  };
}

describe('admission webhook with a cert-manager Secret (certificate.source: secret)', () => {
  const kc = sharedControlPlane().kubeconfigPath;
  const admin = createTestKubeClients(loadKubeConfig({ kubeconfigPath: kc }));
  const id = uniqueNamespaceName('cm').slice(3);
  const ns = `adm-cm-${id}`;
  const operatorNamespace = `dm-webhook-${id}`;
  let ca: IssuedCertificate;
  let under: WebhookUnderTest;

  beforeAll(async () => {
    await installRegistryCrd(admin);
    await ensureNamespace(admin, operatorNamespace);
    const now = new Date();
    ca = await createCertificateAuthority({ commonName: 'cert-manager-ca', now, lifetimeMs: 86_400_000 });
    const serving = await issueServingCertificate({ ca, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], now, lifetimeMs: 86_400_000 });
    await admin.core.createNamespacedSecret({ namespace: operatorNamespace, body: certManagerSecret(operatorNamespace, 'cm-tls', ca, serving) });
    under = await startWebhookUnderTest(kc, id, { allowedRegistries: ['registry.k8s.io'], webhook: { certificate: { source: 'secret', secretName: 'cm-tls' } } });
    await under.namespace(ns);
    await waitUntilActive(async () => (await kubectl(kc, ['-n', ns, 'run', 'probe', `--image=${DISALLOWED}`, '--dry-run=server'])).exitCode !== 0);
  }, 90_000);

  afterAll(async () => {
    await under?.stop();
  }, 60_000);

  it("publishes the Secret's ca.crt as caBundle and leaves the Secret alone", async () => {
    const vwc = await admin.requestJson<V1ValidatingWebhookConfiguration>('GET', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${under.configurationName}`);
    expect(Buffer.from(vwc.webhooks?.[0]?.clientConfig.caBundle ?? '', 'base64').toString().trim()).toBe(ca.certPem.trim());
    const secret = await admin.core.readNamespacedSecret({ namespace: operatorNamespace, name: 'cm-tls' });
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
  });

  it('serves a renewed certificate from the Secret without a restart', async () => {
    const before = await servedCertificateFingerprint(under.port);
    const renewed = await issueServingCertificate({ ca, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], now: new Date(), lifetimeMs: 86_400_000 });
    await admin.core.replaceNamespacedSecret({ namespace: operatorNamespace, name: 'cm-tls', body: certManagerSecret(operatorNamespace, 'cm-tls', ca, renewed) });
    await eventually(async () => expect(await servedCertificateFingerprint(under.port)).not.toBe(before), 15_000, 100);
    const denied = await kubectl(kc, ['-n', ns, 'run', 'after-renewal', `--image=${DISALLOWED}`, '--dry-run=server']);
    expect(denied.stderr).toContain('not allowed');
  });
});
