/**
 * The leader's half of the webhook, as an ordinary runtime controller: keeps the certificate
 * Secret (operator mode: create, rotate) and the ValidatingWebhookConfiguration (server-side
 * apply, re-applied when edited or deleted) in the desired state. Level-based: each reconcile
 * reads both, plans, writes what differs, and asks to be woken when the next certificate step is
 * due. It runs on the shared queue, informers and leader election (runtime/manager.ts).
 */
import type { V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { sameStoredCertificates } from '../certs/certificate-secret.js';
import type { CertificateLifetimes } from '../certs/rotation-plan.js';
import { runCertificateRotation, type PublishedBundle } from '../certs/run-rotation.js';
import type { CertificateSecretStore } from '../certs/certificate-secret-store.js';
import type { CertificateSecretWatch } from '../certs/certificate-secret-watch.js';
import {
  buildValidatingWebhookConfiguration,
  caBundlePatch,
  CA_BUNDLE_PUBLISHED_AT_ANNOTATION,
  caBundlePems,
  isAppliedIn,
  ourWebhooksIn,
  type WebhookConfigurationSpec,
} from '../webhook-configuration.js';
import { defineController, type ControllerDefinition, type ReconcileContext } from '../../runtime/controller.js';
import { getOrUndefined, serverSideApply, type KubeClients } from '../../runtime/kube-client.js';
import { objectPath, RESOURCES, type KubeResource } from '../../runtime/resources.js';

export const VALIDATING_WEBHOOK_CONFIGURATION: KubeResource = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  plural: 'validatingwebhookconfigurations',
  namespaced: false,
};
export const WEBHOOK_REGISTRATION_CONTROLLER = 'webhook-registration';
const FIELD_MANAGER = 'dockmaster';
/** The field manager of the caBundle patch: it owns the caBundle and its published-at annotation only. */
const CA_BUNDLE_FIELD_MANAGER = 'dockmaster-webhook-cabundle';
/** How often a shipped configuration that is not there yet is looked for. */
const MISSING_CONFIGURATION_RECHECK_MS = 10_000;
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

export type WebhookConfigurationSettings = Omit<WebhookConfigurationSpec, 'caBundlePems' | 'caBundlePublishedAt'>;

export interface WebhookRegistrationOptions {
  configuration: WebhookConfigurationSettings;
  certificates: RegistrarCertificates;
  /** Namespace and name of the certificate Secret, watched so a deleted Secret is recreated. */
  secret?: { namespace: string; name: string };
  /** A new configuration is created only once this is true, so the apiserver never calls a server without a certificate. */
  isServing?: () => boolean;
  /**
   * The configuration is shipped as a manifest (deploy/, the Helm chart): patch only its caBundle,
   * by name, never create it or touch anything else. RBAC can then grant `patch` on that one name
   * and no `create`, which cannot be scoped by name.
   */
  caBundleOnly?: boolean;
}

type RotationRequest = { forceServingRotation?: boolean; forceAuthorityRotation?: boolean };

export interface RegistrarOutcome {
  /** What changed: rotation steps, `secret`, `webhook-configuration`. */
  changes: string[];
  recheckAt: Date;
}

interface Waiter {
  resolve(outcome: RegistrarOutcome): void;
  reject(error: unknown): void;
}

/**
 * The registration controller and its imperative requests ("rotate now"), which go through the
 * same queue: a request is recorded, the key is queued, and the next reconcile takes every
 * pending request and settles its waiters with its outcome.
 */
export class WebhookRegistration {
  private options: WebhookRegistrationOptions;
  private pending: RotationRequest = {};
  private waiters: Waiter[] = [];
  private enqueue: (() => void) | undefined;

  constructor(options: WebhookRegistrationOptions) {
    this.options = options;
  }

  /** The controller to run on a Manager; `enqueue` queues its one key there. */
  controller(enqueue: () => void): ControllerDefinition {
    this.enqueue = enqueue;
    const name = this.options.configuration.name;
    const secret = this.options.secret;
    return defineController({
      name: WEBHOOK_REGISTRATION_CONTROLLER,
      forResource: VALIDATING_WEBHOOK_CONFIGURATION,
      forSelection: { fieldSelector: `metadata.name=${name}` },
      // The configuration may not exist yet: this controller creates it.
      startKeys: [name],
      workers: 1,
      backoff: RETRY_BACKOFF,
      watches: secret
        ? [{ resource: RESOURCES.secret, namespace: secret.namespace, fieldSelector: `metadata.name=${secret.name}`, mapToKeys: () => [name] }]
        : [],
      reconcile: async (_request, ctx) => {
        const force = this.pending;
        const waiters = this.waiters;
        this.pending = {};
        this.waiters = [];
        try {
          const outcome = await this.reconcile(force, ctx);
          for (const waiter of waiters) waiter.resolve(outcome);
          const delay = outcome.recheckAt.getTime() - ctx.clock.now();
          return { requeueAfterMs: Math.min(Math.max(delay, MIN_RECHECK_MS), MAX_RECHECK_MS) };
        } catch (error) {
          for (const waiter of waiters) waiter.reject(error);
          throw error;
        }
      },
    });
  }

  /** Where the caBundle comes from; set once the watches it reads exist. */
  setCertificates(certificates: RegistrarCertificates): void {
    this.options = { ...this.options, certificates };
  }

  /** A changed configuration (reloaded file); applied by the reconcile this queues. */
  setConfiguration(configuration: WebhookConfigurationSettings): void {
    this.options = { ...this.options, configuration };
    this.enqueue?.();
  }

  /** Issues a new serving certificate now (operator mode) and waits until it is in the Secret. */
  rotateServingCertificate(): Promise<RegistrarOutcome> {
    return this.request({ forceServingRotation: true });
  }

  /**
   * Starts a CA rotation now (operator mode): the new CA joins the caBundle at once; the serving
   * certificate moves to it and the old CA leaves on the planner's schedule.
   */
  rotateCertificateAuthority(): Promise<RegistrarOutcome> {
    return this.request({ forceAuthorityRotation: true });
  }

  /** One reconcile through the queue, awaited. */
  reconcileNow(): Promise<RegistrarOutcome> {
    return this.request({});
  }

  private request(force: RotationRequest): Promise<RegistrarOutcome> {
    this.pending = { ...this.pending, ...force };
    const settled = new Promise<RegistrarOutcome>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.enqueue?.();
    return settled;
  }

  private async reconcile(force: RotationRequest, ctx: ReconcileContext): Promise<RegistrarOutcome> {
    const now = new Date(ctx.clock.now());
    const { certificates, configuration } = this.options;
    const actual = await getOrUndefined(() =>
      ctx.kube.requestJson<V1ValidatingWebhookConfiguration>('GET', objectPath(VALIDATING_WEBHOOK_CONFIGURATION, undefined, configuration.name)),
    );
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
        ctx.log.info({ action: step.action, reason: step.reason }, 'Took a certificate rotation step');
        changes.push(step.action);
      }
      published = result.published;
      recheckAt = result.recheckAt;
    } else if (certificates.source === 'secret') {
      const authorities = certificates.watch.current()?.authorities ?? [];
      if (authorities.length > 0) published = { pems: authorities };
    }

    if (this.options.caBundleOnly) return this.patchCaBundle(actual, published, changes, recheckAt, ctx);
    const desired = buildValidatingWebhookConfiguration({
      ...configuration,
      ...(published && { caBundlePems: published.pems }),
      ...(published?.publishedAt && { caBundlePublishedAt: published.publishedAt.toISOString() }),
    });
    if (!actual && this.options.isServing && !this.options.isServing()) {
      ctx.log.info({}, 'Waiting for the webhook server to serve a certificate before registering it');
      return { changes, recheckAt: new Date(now.getTime() + MIN_RECHECK_MS) };
    }
    if (!actual || !isAppliedIn(desired, actual)) {
      await serverSideApply(ctx.kube, VALIDATING_WEBHOOK_CONFIGURATION, desired, { fieldManager: FIELD_MANAGER, force: true });
      ctx.log.info({ name: configuration.name, created: !actual }, 'Applied the ValidatingWebhookConfiguration');
      changes.push('webhook-configuration');
    }
    return { changes, recheckAt };
  }

  /** caBundle-only mode: the shipped configuration gets our caBundle; a missing one is waited for, never created. */
  private async patchCaBundle(
    actual: V1ValidatingWebhookConfiguration | undefined,
    published: PublishedBundle | undefined,
    changes: string[],
    recheckAt: Date,
    ctx: ReconcileContext,
  ): Promise<RegistrarOutcome> {
    const name = this.options.configuration.name;
    if (!actual) {
      ctx.log.warn({ name }, 'The ValidatingWebhookConfiguration is not installed; apply it from deploy/ (or the Helm chart): this webhook only patches its caBundle');
      return { changes, recheckAt: new Date(ctx.clock.now() + MISSING_CONFIGURATION_RECHECK_MS) };
    }
    if (!published || published.pems.length === 0) return { changes, recheckAt };
    const publishedAt = published.publishedAt?.toISOString();
    const names = ourWebhooksIn(actual);
    const patch = caBundlePatch(name, published.pems, publishedAt, names);
    if (!isAppliedIn(patch.webhooks, actual.webhooks?.filter((w) => names.includes(w.name))) || (publishedAt !== undefined && !isAppliedIn(patch.metadata, actual.metadata))) {
      await serverSideApply(ctx.kube, VALIDATING_WEBHOOK_CONFIGURATION, patch, { fieldManager: CA_BUNDLE_FIELD_MANAGER, force: true });
      ctx.log.info({ name }, 'Patched the caBundle of the ValidatingWebhookConfiguration');
      changes.push('ca-bundle');
    }
    return { changes, recheckAt };
  }
}

/** Deletes the ValidatingWebhookConfiguration (uninstall, tests); absent is fine. */
export async function deleteWebhookConfiguration(clients: Pick<KubeClients, 'requestJson'>, name: string): Promise<void> {
  await getOrUndefined(() => clients.requestJson('DELETE', objectPath(VALIDATING_WEBHOOK_CONFIGURATION, undefined, name)));
}
