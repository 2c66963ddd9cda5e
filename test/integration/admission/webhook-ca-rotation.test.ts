import type { V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCertificateFacts } from '../../../src/admission/certs/certificate-facts.js';
import { DEFAULT_CERTIFICATE_LIFETIMES } from '../../../src/admission/certs/rotation-plan.js';
import { caBundlePems } from '../../../src/admission/webhook-configuration.js';
import { loadKubeConfig } from '../../../src/runtime/kube-client.js';
import { kubectl } from '../../controlplane/kubectl.js';
import { sharedControlPlane, uniqueNamespaceName } from '../../controlplane/shared.js';
import { installRegistryCrd } from '../controllers/registry/registry-crd.js';
import { eventually } from '../runtime/wait.js';
import { servedCertificateFingerprint, startWebhookUnderTest, waitUntilActive, type WebhookUnderTest } from './webhook-under-test.js';
import { createTestKubeClients } from '../../harness/typed-clients.js';

const DISALLOWED = 'evil.example.com/miner:1.0';

describe('CA rotation on the real apiserver', () => {
  const kc = sharedControlPlane().kubeconfigPath;
  const id = uniqueNamespaceName('ca').slice(3);
  const ns = `adm-ca-${id}`;
  let under: WebhookUnderTest;

  beforeAll(async () => {
    await installRegistryCrd(createTestKubeClients(loadKubeConfig({ kubeconfigPath: kc })));
    // Propagation waits of 3 s instead of 5 min; everything else as in production.
    under = await startWebhookUnderTest(kc, id, { allowedRegistries: ['registry.k8s.io'] }, { lifetimes: { ...DEFAULT_CERTIFICATE_LIFETIMES, propagationMs: 3_000 } });
    await under.namespace(ns);
    await waitUntilActive(async () => (await kubectl(kc, ['-n', ns, 'run', 'probe', `--image=${DISALLOWED}`, '--dry-run=server'])).exitCode !== 0);
  }, 90_000);

  afterAll(async () => {
    await under?.stop();
  }, 60_000);

  async function publishedCas(): Promise<string[]> {
    const vwc = await under.clients.requestJson<V1ValidatingWebhookConfiguration>('GET', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${under.configurationName}`);
    return caBundlePems(vwc).map((pem) => pem.trim());
  }

  it('keeps old and new CA in the caBundle until the serving certificate is the new CA’s, and admission never fails', async () => {
    // Admission is probed all along: every answer must be our denial, never a TLS or call failure.
    const failures: string[] = [];
    let probes = 0;
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const result = await kubectl(kc, ['-n', ns, 'run', `probe-${probes++}`, `--image=${DISALLOWED}`, '--dry-run=server']);
        if (!result.stderr.includes('not allowed')) failures.push(result.stderr.trim());
      }
    })();

    const [oldCa] = await publishedCas();
    const servedBefore = await servedCertificateFingerprint(under.port);
    const outcome = await under.webhook.rotateCertificateAuthority();
    expect(outcome?.changes).toEqual(expect.arrayContaining(['create-authority', 'publish-ca-bundle']));
    expect(outcome?.changes).not.toContain('issue-serving-certificate');

    const both = await publishedCas();
    expect(both).toHaveLength(2);
    expect(both[0]).toBe(oldCa);
    const newCa = both[1]!;

    // After the propagation wait the serving certificate moves to the new CA …
    await eventually(async () => expect(await servedCertificateFingerprint(under.port)).not.toBe(servedBefore), 20_000, 200);
    const secret = await under.clients.core.readNamespacedSecret({ namespace: under.operatorNamespace, name: 'dockmaster-webhook-tls' });
    const serving = Buffer.from(secret.data?.['tls.crt'] ?? '', 'base64').toString();
    expect((await readCertificateFacts(serving, [newCa])).issuerFingerprint).toBeDefined();
    // … and only after another one the old CA leaves the caBundle (a loaded CI machine has taken
    // longer than 20 s once, so the wait is generous; the order is what is checked).
    await eventually(async () => expect(await publishedCas()).toEqual([newCa]), 45_000, 200);

    probing = false;
    await prober;
    expect(probes).toBeGreaterThan(5);
    expect(failures).toEqual([]);
  }, 90_000);
});
