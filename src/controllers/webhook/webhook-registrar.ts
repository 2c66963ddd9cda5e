import type { V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { sameStoredCertificates } from '../../admission/certs/certificate-secret.js';
import type { CertificateLifetimes } from '../../admission/certs/rotation-plan.js';
import { runCertificateRotation, type PublishedBundle } from '../../admission/certs/run-rotation.js';
import {
  buildValidatingWebhookConfiguration,
  CA_BUNDLE_PUBLISHED_AT_ANNOTATION,
  caBundlePems,
  isAppliedIn,
  type WebhookConfigurationSpec,
} from '../../admission/webhook-configuration.js';
import {
  apiErrorStatus,
  backoffDelayMs,
  Informer,
  objectPath,
  serverSideApply,
  stripManagedFields,
  systemClock,
  type Clock,
  type KubeClients,
  type KubeResource,
  type Timer,
} from '../../runtime/index.js';
import type { CertificateSecretStore } from './certificate-secret-store.js';
import type { CertificateSecretWatch } from './certificate-secret-watch.js';
import { createNamedObjectListerWatcher } from './named-object-source.js';

export const VALIDATING_WEBHOOK_CONFIGURATION: KubeResource = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  plural: 'validatingwebhookconfigurations',
  namespaced: false,
};
const FIELD_MANAGER = 'dockmaster';
/** Re-check at least this often even when no certificate is due (an edit we missed, a lost watch). */
const MAX_RECHECK_MS = 10 * 60_000;
/** Never re-run sooner than this on schedule: certificates shorter-lived than the planner's margins must not spin. */
const MIN_RECHECK_MS = 1_000;
const RETRY_BACKOFF = { baseMs: 500, capMs: 60_000, jitter: 0.1 };

/** Where the caBundle comes from. */
export type RegistrarCertificates =
  /** The operator's own CA and serving certificate, kept and rotated in a Secret. */
  | { source: 'operator'; store: CertificateSecretStore; dnsNames: readonly string[]; ipAddresses?: readonly string[]; lifetimes?: CertificateLifetimes }
  /** A Secret someone else issues (cert-manager): its ca.crt, when present, is the caBundle. */
  | { source: 'secret'; watch: CertificateSecretWatch }
  /** Certificate files: the caBundle is left to whoever injects it (cert-manager's CA injector). */
  | { source: 'files' };

export interface WebhookRegistrarOptions {
  clients: KubeClients;
  logger: Logger;
  configuration: Omit<WebhookConfigurationSpec, 'caBundlePems' | 'caBundlePublishedAt'>;
  certificates: RegistrarCertificates;
  /** Changes of the certificate Secret wake the registrar (a deleted Secret is recreated). */
  secretWatch?: CertificateSecretWatch;
  /** A new configuration is created only once this is true, so the apiserver never calls a server without a certificate. */
  isServing?: () => boolean;
  clock?: Clock;
}

type RotationRequest = { forceServingRotation?: boolean; forceAuthorityRotation?: boolean };

export interface RegistrarOutcome {
  /** What changed: rotation steps, `secret`, `webhook-configuration`. */
  changes: string[];
  recheckAt: Date;
}

/**
 * The leader's half of the webhook: keeps the certificate Secret (operator mode: create, rotate)
 * and the ValidatingWebhookConfiguration (server-side apply, re-applied when edited) in the
 * desired state. Level-based: each run reads both, plans, writes what differs.
 */
export class WebhookRegistrar {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly informer: Informer<V1ValidatingWebhookConfiguration>;
  private readonly unsubscribes: Array<() => void> = [];
  private queue: Promise<unknown> = Promise.resolve();
  private pending = false;
  private timer: Timer | undefined;
  private failures = 0;
  private stopped = false;

  constructor(private options: WebhookRegistrarOptions) {
    this.log = options.logger;
    this.clock = options.clock ?? systemClock;
    this.informer = new Informer(
      createNamedObjectListerWatcher<V1ValidatingWebhookConfiguration>(options.clients, VALIDATING_WEBHOOK_CONFIGURATION, undefined, options.configuration.name),
      { name: VALIDATING_WEBHOOK_CONFIGURATION.plural, logger: this.log, transform: stripManagedFields },
    );
  }

  /** Watches the configuration (an edit or a deletion is undone) and the Secret, and runs at once. */
  start(): void {
    const wake = (): void => this.trigger();
    this.unsubscribes.push(this.informer.addHandlers({ onAdd: wake, onUpdate: wake, onDelete: wake }));
    if (this.options.secretWatch) this.unsubscribes.push(this.options.secretWatch.onChange(wake));
    this.informer.start();
    this.trigger();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    await this.informer.stop();
    await this.queue.catch(() => undefined);
  }

  /** A changed configuration (reloaded file); applied on the next run, which this triggers. */
  setConfiguration(configuration: WebhookRegistrarOptions['configuration']): void {
    this.options = { ...this.options, configuration };
    this.trigger();
  }

  /** Issues a new serving certificate now (operator mode) and waits until it is in the Secret. */
  rotateServingCertificate(): Promise<RegistrarOutcome> {
    return this.enqueue({ forceServingRotation: true });
  }

  /**
   * Starts a CA rotation now (operator mode): the new CA joins the caBundle at once; the serving
   * certificate moves to it and the old CA leaves on the planner's schedule.
   */
  rotateCertificateAuthority(): Promise<RegistrarOutcome> {
    return this.enqueue({ forceAuthorityRotation: true });
  }

  /** One reconcile, serialised with the scheduled ones. */
  reconcileNow(): Promise<RegistrarOutcome> {
    return this.enqueue({});
  }

  /** Coalesces wake-ups into one queued run; reschedules from its outcome. */
  trigger(): void {
    if (this.stopped || this.pending) return;
    this.pending = true;
    this.enqueue({}).then(
      () => undefined,
      () => undefined,
    );
  }

  private enqueue(force: RotationRequest): Promise<RegistrarOutcome> {
    const run = this.queue.then(async () => {
      this.pending = false;
      this.timer?.cancel();
      try {
        const outcome = await this.reconcile(force);
        this.failures = 0;
        const delay = Math.min(Math.max(outcome.recheckAt.getTime() - this.clock.now(), MIN_RECHECK_MS), MAX_RECHECK_MS);
        this.schedule(delay);
        return outcome;
      } catch (error) {
        const delay = backoffDelayMs(this.failures++, RETRY_BACKOFF);
        this.log.error({ err: error, retryInMs: Math.round(delay) }, 'Failed to reconcile the webhook certificate and configuration');
        this.schedule(delay);
        throw error;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimeout(() => this.trigger(), delayMs);
  }

  private async reconcile(force: RotationRequest): Promise<RegistrarOutcome> {
    const now = new Date(this.clock.now());
    const { clients, certificates } = this.options;
    const actual = await this.readConfiguration();
    const changes: string[] = [];
    let published: PublishedBundle | undefined;
    let recheckAt = new Date(now.getTime() + MAX_RECHECK_MS);

    if (certificates.source === 'operator') {
      const publishedAt = actual?.metadata?.annotations?.[CA_BUNDLE_PUBLISHED_AT_ANNOTATION];
      const { stored, resourceVersion } = await certificates.store.read();
      const result = await runCertificateRotation({
        stored,
        published: { pems: caBundlePems(actual), ...(publishedAt && !Number.isNaN(Date.parse(publishedAt)) && { publishedAt: new Date(publishedAt) }) },
        dnsNames: certificates.dnsNames,
        ...(certificates.ipAddresses && { ipAddresses: certificates.ipAddresses }),
        now,
        ...(certificates.lifetimes && { lifetimes: certificates.lifetimes }),
        ...force,
      });
      // The Secret first: a caBundle must never name a CA the Secret has lost.
      if (!sameStoredCertificates(result.stored, stored)) {
        await certificates.store.write(result.stored, resourceVersion);
        changes.push('secret');
      }
      for (const step of result.steps) {
        this.log.info({ action: step.action, reason: step.reason }, 'Took a certificate rotation step');
        changes.push(step.action);
      }
      published = result.published;
      recheckAt = result.recheckAt;
    } else if (certificates.source === 'secret') {
      const authorities = certificates.watch.current()?.authorities ?? [];
      if (authorities.length > 0) published = { pems: authorities };
    }

    const desired = buildValidatingWebhookConfiguration({
      ...this.options.configuration,
      ...(published && { caBundlePems: published.pems }),
      ...(published?.publishedAt && { caBundlePublishedAt: published.publishedAt.toISOString() }),
    });
    if (!actual && this.options.isServing && !this.options.isServing()) {
      this.log.info({}, 'Waiting for the webhook server to serve a certificate before registering it');
      return { changes, recheckAt: new Date(now.getTime() + MIN_RECHECK_MS) };
    }
    if (!actual || !isAppliedIn(desired, actual)) {
      await serverSideApply(clients, VALIDATING_WEBHOOK_CONFIGURATION, desired, { fieldManager: FIELD_MANAGER, force: true });
      this.log.info({ name: this.options.configuration.name, created: !actual }, 'Applied the ValidatingWebhookConfiguration');
      changes.push('webhook-configuration');
    }
    return { changes, recheckAt };
  }

  private async readConfiguration(): Promise<V1ValidatingWebhookConfiguration | undefined> {
    try {
      return await this.options.clients.requestJson<V1ValidatingWebhookConfiguration>('GET', objectPath(VALIDATING_WEBHOOK_CONFIGURATION, undefined, this.options.configuration.name));
    } catch (error) {
      if (apiErrorStatus(error) === 404) return undefined;
      throw error;
    }
  }
}

/** Deletes the ValidatingWebhookConfiguration (uninstall, tests); absent is fine. */
export async function deleteWebhookConfiguration(clients: Pick<KubeClients, 'requestJson'>, name: string): Promise<void> {
  try {
    await clients.requestJson('DELETE', objectPath(VALIDATING_WEBHOOK_CONFIGURATION, undefined, name));
  } catch (error) {
    if (apiErrorStatus(error) !== 404) throw error;
  }
}
