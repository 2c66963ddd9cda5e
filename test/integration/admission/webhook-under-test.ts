import { connect } from 'node:tls';
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { CertificateLifetimes } from '../../../src/admission/certs/rotation-plan.js';
import { buildValidatingWebhookConfiguration } from '../../../src/admission/webhook-configuration.js';
import { webhookConfigurationSpecFor } from '../../../src/admission/webhook/webhook-configuration-spec.js';
import { parseOperatorConfig, type OperatorConfigInput } from '../../../src/config/operator-config.js';
import { AdmissionWebhook } from '../../../src/admission/webhook/admission-webhook.js';
import { deleteWebhookConfiguration } from '../../../src/admission/webhook/webhook-registration.js';
import { createRootLogger } from '../../../src/logging/logger.js';
import { loadKubeConfig } from '../../../src/runtime/kube-client.js';
import { kubectl, type KubectlResult } from '../../controlplane/kubectl.js';
import { freePort } from '../cli/operator-process.js';
import { ensureNamespace, eventually } from '../runtime/wait.js';
import { createTestKubeClients, type TestKubeClients } from '../../harness/typed-clients.js';

/**
 * An AdmissionWebhook in this process, registered with the shared apiserver through
 * clientConfig.url. Its ValidatingWebhookConfiguration has a unique name and only matches
 * namespaces carrying `TEST_NAMESPACE_LABEL=<id>`, so a failurePolicy Fail webhook never touches
 * another test's namespaces, even if this process dies before `stop()` deletes it.
 */
export const TEST_NAMESPACE_LABEL = 'test.dockmaster.dev/admission';

export interface WebhookUnderTest {
  id: string;
  webhook: AdmissionWebhook;
  clients: TestKubeClients;
  kubeconfig: string;
  configurationName: string;
  operatorNamespace: string;
  port: number;
  /** Creates a namespace matched by this webhook. */
  namespace(name: string): Promise<void>;
  apply(namespace: string, manifest: object): Promise<KubectlResult>;
  stop(): Promise<void>;
}

export async function startWebhookUnderTest(
  kubeconfig: string,
  id: string,
  admission: NonNullable<OperatorConfigInput['admission']>,
  options: { webhookKubeconfig?: string; operatorNamespace?: string; lifetimes?: CertificateLifetimes } = {},
): Promise<WebhookUnderTest> {
  // Admin clients set up and clean up; the webhook itself may run with fewer rights.
  const clients = createTestKubeClients(loadKubeConfig({ kubeconfigPath: kubeconfig }));
  const webhookClients = options.webhookKubeconfig ? createTestKubeClients(loadKubeConfig({ kubeconfigPath: options.webhookKubeconfig })) : clients;
  const port = await freePort();
  const operatorNamespace = options.operatorNamespace ?? `dm-webhook-${id}`;
  const configurationName = admission.webhook?.configurationName ?? `dockmaster-image-sources-test-${id}`;
  const config = parseOperatorConfig({
    namespace: operatorNamespace,
    admission: {
      ...admission,
      webhook: {
        host: '127.0.0.1',
        port,
        url: `https://127.0.0.1:${port}/validate`,
        configurationName,
        matchNamespaceLabels: { [TEST_NAMESPACE_LABEL]: id },
        ...admission.webhook,
      },
    },
  });
  await ensureNamespace(clients, operatorNamespace);
  if (config.admission.webhook.patchCaBundleOnly) {
    // As deploy/ ships it: the configuration exists before the webhook, which patches only its caBundle.
    await clients.requestJson('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
      body: buildValidatingWebhookConfiguration(webhookConfigurationSpecFor(config)),
    });
  }
  const logger = createRootLogger({ level: process.env.DOCKMASTER_TEST_LOG_LEVEL ?? 'silent' });
  const webhook = new AdmissionWebhook({ config, clients: webhookClients, logger, ...(options.lifetimes && { lifetimes: options.lifetimes }) });
  // No Lease: this process keeps the Secret and the configuration at once.
  await webhook.start();
  const namespaces: string[] = options.operatorNamespace ? [] : [operatorNamespace];
  return {
    id,
    webhook,
    clients,
    kubeconfig,
    configurationName,
    operatorNamespace,
    port,
    async namespace(name) {
      namespaces.push(name);
      await clients.core.createNamespace({ body: { metadata: { name, labels: { [TEST_NAMESPACE_LABEL]: id } } } });
    },
    apply: (namespace, manifest) => kubectl(kubeconfig, ['-n', namespace, 'apply', '-f', '-'], stringify(manifest)),
    async stop() {
      // The registrar first: running, it would re-create the configuration it sees deleted.
      await webhook.stop();
      await deleteWebhookConfiguration(clients, configurationName);
      if (options.operatorNamespace) await clients.core.deleteNamespacedSecret({ namespace: operatorNamespace, name: config.admission.webhook.certificate.secretName }).catch(() => undefined);
      for (const name of namespaces) await clients.core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

/** The apiserver loads new webhook configurations asynchronously: retry until `probe` says it is active. */
export async function waitUntilActive(probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  await eventually(async () => {
    if (!(await probe())) throw new Error('the webhook is not active yet');
  }, timeoutMs, 250);
}

/** sha256 of the certificate the server presents on a fresh TLS connection. */
export async function servedCertificateFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const der = socket.getPeerCertificate().raw;
      socket.end();
      resolve(createHash('sha256').update(der).digest('hex'));
    });
    socket.once('error', reject);
  });
}
