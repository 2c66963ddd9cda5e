import { isIP } from 'node:net';
import { unwatchFile, watchFile } from 'node:fs';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { AdmissionSettings } from '../admission-config.js';
import { FileCertificateSource, type CertificateSource } from '../certificate-source.js';
import { webhookServiceDnsNames } from '../certs/certificate-facts.js';
import type { CertificateLifetimes } from '../certs/rotation-plan.js';
import { CertificateSecretStore } from '../certs/certificate-secret-store.js';
import { CertificateSecretWatch } from '../certs/certificate-secret-watch.js';
import { AdmissionPolicyHolder } from '../policy.js';
import { buildWebhookServer, type WebhookServer } from '../webhook-server.js';
import type { KubeClients } from '../../runtime/kube-client.js';
import type { LeaderElectionConfig } from '../../runtime/leader-election.js';
import { Manager } from '../../runtime/manager.js';
import { RESOURCES } from '../../runtime/resources.js';
import { AdmissionMetrics } from './admission-metrics.js';
import { RegistryAllowListFeed } from './registry-allow-list-feed.js';
import { webhookConfigurationSpecFor } from './webhook-configuration-spec.js';
import { WEBHOOK_REGISTRATION_CONTROLLER, WebhookRegistration, type RegistrarCertificates, type RegistrarOutcome } from './webhook-registration.js';

export interface AdmissionWebhookOptions {
  config: AdmissionSettings;
  clients: KubeClients;
  logger: Logger;
  /**
   * Who keeps the Secret and the webhook configuration: `false` (the default) makes this process
   * do it at once; a Lease makes only the leader of the replicas do it.
   */
  leaderElection?: (Omit<LeaderElectionConfig, 'identity'> & { identity?: string }) | false;
  /** Re-read on change: mode, allowed registries and exemptions apply without a restart. */
  configFile?: string;
  /** How to read configFile (the configuration layer's loader; admission does not parse the whole file). */
  loadConfigFile?: (path: string) => Promise<AdmissionSettings>;
  /** Read Registries of these namespaces only (the configuration's watchNamespaces); all when empty. */
  watchNamespaces?: readonly string[];
  /** Shorter certificate lifetimes (tests); the defaults otherwise. */
  lifetimes?: CertificateLifetimes;
  configFilePollMs?: number;
  /** The registry /metrics serves (RuntimeMetrics.registry); default a private one. */
  metricsRegistry?: MetricsRegistry;
}

/**
 * The admission webhook as a component of a process. Every replica serves (allow list fed by
 * Registries, certificate loaded from the Secret or files); the leader of the webhook's own
 * Lease also runs the webhook-registration controller (certificate Secret and
 * ValidatingWebhookConfiguration). All of it runs on one runtime Manager: shared informers,
 * the shared work queue and leader election, separate from the controllers' Manager.
 */
export class AdmissionWebhook {
  readonly policy: AdmissionPolicyHolder;
  private config: AdmissionSettings;
  private readonly log: Logger;
  private readonly manager: Manager;
  private readonly secretWatch: CertificateSecretWatch | undefined;
  private readonly registration: WebhookRegistration | undefined;
  private fileSource: FileCertificateSource | undefined;
  private server: WebhookServer | undefined;
  private stopped = false;

  constructor(private readonly options: AdmissionWebhookOptions) {
    this.config = options.config;
    this.log = options.logger.child({ component: 'admission-webhook' });
    this.policy = new AdmissionPolicyHolder(this.config.admission, this.config.namespace);
    const webhook = this.config.admission.webhook;
    if (webhook.register) {
      this.registration = new WebhookRegistration({
        configuration: webhookConfigurationSpecFor(this.config),
        certificates: { source: 'files' },
        ...(!webhook.certFile && { secret: { namespace: this.config.namespace, name: webhook.certificate.secretName } }),
        isServing: () => this.isReady(),
        caBundleOnly: webhook.patchCaBundleOnly,
      });
    }
    const manager: Manager = new Manager({
      kubeConfig: options.clients.kubeConfig,
      clients: options.clients,
      logger: this.log,
      ...(options.watchNamespaces && { namespaces: options.watchNamespaces }),
      controllers: this.registration ? [this.registration.controller(() => manager.enqueue(WEBHOOK_REGISTRATION_CONTROLLER, webhook.configurationName))] : [],
      leaderElection: options.leaderElection ?? false,
      eventComponent: 'dockmaster-webhook',
    });
    this.manager = manager;
    new RegistryAllowListFeed(manager, this.policy, this.log);
    // An AdmissionReview carries no namespace labels; rules selected by labels read them here.
    manager.watch(RESOURCES.namespace, {}, {});
    if (!webhook.certFile) {
      this.secretWatch = new CertificateSecretWatch(manager, this.config.namespace, webhook.certificate.secretName, this.log);
    }
    this.registration?.setCertificates(this.registrarCertificates());
  }

  /** Starts the watches (and, when leading, the registration), waits for a certificate, and listens. Resolves once serving. */
  async start(): Promise<void> {
    if (this.options.configFile) watchFile(this.options.configFile, { interval: this.options.configFilePollMs ?? 5_000, persistent: false }, this.reloadConfig);
    await this.manager.start();
    const webhook = this.config.admission.webhook;
    let source: CertificateSource;
    if (webhook.certFile && webhook.keyFile) {
      this.fileSource = new FileCertificateSource(webhook.certFile, webhook.keyFile, { onError: (err) => this.log.error({ err }, 'Failed to reload the certificate files') });
      source = this.fileSource;
    } else {
      this.log.info({ secret: `${this.config.namespace}/${webhook.certificate.secretName}` }, 'Waiting for the serving certificate in the Secret');
      source = await this.secretWatch!.waitForCertificate();
    }
    if (this.stopped) return;
    const namespaces = this.manager.cache<KubernetesObject>(RESOURCES.namespace);
    const metrics = new AdmissionMetrics(this.options.metricsRegistry);
    this.server = buildWebhookServer({
      policy: this.policy,
      certificateSource: source,
      logger: this.log,
      bodyLimitBytes: webhook.bodyLimitBytes,
      isReady: () => this.manager.isReady(),
      onReviewed: metrics.record,
      onCertificate: metrics.observeCertificate,
      namespaceLabels: (namespace) => namespaces.get(undefined, namespace)?.metadata?.labels ?? {},
    });
    await this.server.listen({ host: webhook.host, port: webhook.port });
    this.log.info({ address: this.server.server.address() }, 'Serving admission reviews on /validate');
  }

  /** Serving, with the Registry allow list loaded. */
  isReady(): boolean {
    return this.server !== undefined && this.server.server.listening && this.manager.isReady();
  }

  /** The bound port (after start). */
  port(): number | undefined {
    const address = this.server?.server.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** Leader only: a new serving certificate now. */
  async rotateServingCertificate(): Promise<RegistrarOutcome | undefined> {
    return this.manager.isLeader() ? this.registration?.rotateServingCertificate() : undefined;
  }

  /** Leader only: start a CA rotation now. */
  async rotateCertificateAuthority(): Promise<RegistrarOutcome | undefined> {
    return this.manager.isLeader() ? this.registration?.rotateCertificateAuthority() : undefined;
  }

  /** Leader only: one reconcile of Secret and configuration, awaited (tests). */
  async reconcileRegistration(): Promise<RegistrarOutcome | undefined> {
    return this.manager.isLeader() ? this.registration?.reconcileNow() : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.options.configFile) unwatchFile(this.options.configFile, this.reloadConfig);
    await this.manager.stop();
    await this.server?.close();
    this.fileSource?.close();
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
    const load = this.options.loadConfigFile;
    if (!file || !load) return;
    load(file).then(
      (config) => {
        this.config = { ...config, admission: { ...config.admission, webhook: this.config.admission.webhook } };
        this.policy.setConfig(config.admission, config.namespace);
        this.registration?.setConfiguration(webhookConfigurationSpecFor(this.config));
        this.log.info({ file, mode: config.admission.mode }, 'Reloaded the admission configuration');
      },
      (err: unknown) => this.log.error({ err, file }, 'Failed to reload the configuration; keeping the previous one'),
    );
  };
}
