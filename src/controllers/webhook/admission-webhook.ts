import { isIP } from 'node:net';
import { unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import { FileCertificateSource, type CertificateSource } from '../../admission/certificate-source.js';
import { webhookServiceDnsNames } from '../../admission/certs/issue-certificates.js';
import type { CertificateLifetimes } from '../../admission/certs/rotation-plan.js';
import { AdmissionPolicyHolder } from '../../admission/policy.js';
import { buildWebhookServer, type WebhookServer } from '../../admission/webhook-server.js';
import { loadOperatorConfigFile, type OperatorConfig } from '../../config/operator-config.js';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { KubeClients } from '../../runtime/index.js';
import { AdmissionMetrics } from './admission-metrics.js';
import { CertificateSecretStore } from './certificate-secret-store.js';
import { CertificateSecretWatch } from './certificate-secret-watch.js';
import { RegistryAllowListFeed } from './registry-allow-list.js';
import { webhookConfigurationSpecFor } from './webhook-configuration-spec.js';
import { WebhookRegistrar, type RegistrarCertificates, type RegistrarOutcome } from './webhook-registrar.js';

export interface AdmissionWebhookOptions {
  config: OperatorConfig;
  clients: KubeClients;
  logger: Logger;
  /** Re-read on change: mode, allowed registries and exemptions apply without a restart. */
  configFile?: string;
  /** Watch Registries in this namespace only (the operator's --watch-namespace). */
  watchNamespace?: string;
  /** Shorter certificate lifetimes (tests); the defaults otherwise. */
  lifetimes?: CertificateLifetimes;
  configFilePollMs?: number;
  /** The registry /metrics serves (RuntimeMetrics.registry); default a private one. */
  metricsRegistry?: MetricsRegistry;
}

/**
 * The admission webhook as a component of a process: every replica serves (allow list fed by
 * Registries, certificate loaded from the Secret or files); the leader also runs the
 * WebhookRegistrar (certificate Secret and ValidatingWebhookConfiguration).
 */
export class AdmissionWebhook {
  readonly policy: AdmissionPolicyHolder;
  private config: OperatorConfig;
  private readonly log: Logger;
  private readonly feed: RegistryAllowListFeed;
  private readonly secretWatch: CertificateSecretWatch | undefined;
  private fileSource: FileCertificateSource | undefined;
  private server: WebhookServer | undefined;
  private registrar: WebhookRegistrar | undefined;
  private stopped = false;

  constructor(private readonly options: AdmissionWebhookOptions) {
    this.config = options.config;
    this.log = options.logger.child({ component: 'admission-webhook' });
    this.policy = new AdmissionPolicyHolder(this.config.admission, this.config.namespace);
    this.feed = new RegistryAllowListFeed(options.clients, this.policy, this.log, options.watchNamespace ? { namespace: options.watchNamespace } : {});
    const webhook = this.config.admission.webhook;
    if (!webhook.certFile) {
      this.secretWatch = new CertificateSecretWatch(options.clients, this.config.namespace, webhook.certificate.secretName, this.log);
    }
  }

  /** Starts the watches, waits for a certificate, and listens. Resolves once serving. */
  async start(): Promise<void> {
    this.feed.start();
    this.secretWatch?.start();
    if (this.options.configFile) watchFile(this.options.configFile, { interval: this.options.configFilePollMs ?? 5_000, persistent: false }, this.reloadConfig);
    const webhook = this.config.admission.webhook;
    let source: CertificateSource;
    if (webhook.certFile && webhook.keyFile) {
      this.fileSource = new FileCertificateSource(webhook.certFile, webhook.keyFile, { onError: (err) => this.log.error({ err }, 'Failed to reload the certificate files') });
      source = this.fileSource;
    } else {
      this.log.info({ secret: `${this.config.namespace}/${webhook.certificate.secretName}` }, 'Waiting for the serving certificate in the Secret');
      source = await this.secretWatch!.waitForCertificate();
    }
    await this.feed.waitForSync();
    if (this.stopped) return;
    this.server = buildWebhookServer({ policy: this.policy, certificateSource: source, logger: this.log, bodyLimitBytes: webhook.bodyLimitBytes, isReady: () => this.feed.hasSynced(), onReviewed: new AdmissionMetrics(this.options.metricsRegistry).record });
    await this.server.listen({ host: webhook.host, port: webhook.port });
    this.log.info({ address: this.server.server.address() }, 'Serving admission reviews on /validate');
  }

  /** Serving, with the Registry allow list loaded. */
  isReady(): boolean {
    return this.server !== undefined && this.server.server.listening && this.feed.hasSynced();
  }

  /** The bound port (after start). */
  port(): number | undefined {
    const address = this.server?.server.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** Leader only: keep the Secret and the ValidatingWebhookConfiguration. */
  startLeading(): void {
    if (!this.config.admission.webhook.register || this.registrar || this.stopped) return;
    this.registrar = new WebhookRegistrar({
      clients: this.options.clients,
      logger: this.log.child({ component: 'webhook-registrar' }),
      configuration: webhookConfigurationSpecFor(this.config),
      certificates: this.registrarCertificates(),
      ...(this.secretWatch && { secretWatch: this.secretWatch }),
      isServing: () => this.isReady(),
    });
    this.registrar.start();
  }

  async stopLeading(): Promise<void> {
    const registrar = this.registrar;
    this.registrar = undefined;
    await registrar?.stop();
  }

  /** Leader only: a new serving certificate now. */
  async rotateServingCertificate(): Promise<RegistrarOutcome | undefined> {
    return this.registrar?.rotateServingCertificate();
  }

  /** Leader only: start a CA rotation now. */
  async rotateCertificateAuthority(): Promise<RegistrarOutcome | undefined> {
    return this.registrar?.rotateCertificateAuthority();
  }

  /** Leader only: one reconcile of Secret and configuration, awaited (tests). */
  async reconcileRegistration(): Promise<RegistrarOutcome | undefined> {
    return this.registrar?.reconcileNow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.options.configFile) unwatchFile(this.options.configFile, this.reloadConfig);
    await this.stopLeading();
    await this.server?.close();
    this.fileSource?.close();
    await Promise.all([this.feed.stop(), this.secretWatch?.stop()]);
  }

  private registrarCertificates(): RegistrarCertificates {
    const webhook = this.config.admission.webhook;
    if (webhook.certFile) return { source: 'files' };
    if (webhook.certificate.source === 'secret') return { source: 'secret', watch: this.secretWatch! };
    const dnsNames = webhookServiceDnsNames(webhook.serviceName, this.config.namespace);
    const ipAddresses: string[] = [];
    if (webhook.url) {
      const host = new URL(webhook.url).hostname.replace(/^\[(.*)\]$/, '$1');
      if (isIP(host)) ipAddresses.push(host);
      else dnsNames.push(host);
    }
    return {
      source: 'operator',
      store: new CertificateSecretStore(this.options.clients, this.config.namespace, webhook.certificate.secretName),
      dnsNames,
      ...(ipAddresses.length > 0 && { ipAddresses }),
      ...(this.options.lifetimes && { lifetimes: this.options.lifetimes }),
    };
  }

  private readonly reloadConfig = (): void => {
    const file = this.options.configFile;
    if (!file) return;
    loadOperatorConfigFile(file).then(
      (config) => {
        this.config = { ...config, admission: { ...config.admission, webhook: this.config.admission.webhook } };
        this.policy.setConfig(config.admission, config.namespace);
        this.registrar?.setConfiguration(webhookConfigurationSpecFor(this.config));
        this.log.info({ file, mode: config.admission.mode }, 'Reloaded the admission configuration');
      },
      (err: unknown) => this.log.error({ err, file }, 'Failed to reload the configuration; keeping the previous one'),
    );
  };
}
