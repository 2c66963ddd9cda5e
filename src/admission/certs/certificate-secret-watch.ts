import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { MutableCertificateSource } from '../certificate-source.js';
import { decodeCertificateSecret, type StoredCertificates } from './certificate-secret.js';
import type { Manager } from '../../runtime/manager.js';
import { RESOURCES } from '../../runtime/resources.js';

/**
 * Every replica watches the certificate Secret (by name, through a shared informer of its
 * Manager) and loads its serving certificate into a MutableCertificateSource, so the HTTPS
 * server swaps it in without a restart. The Secret is written by the leader (operator-managed)
 * or by cert-manager; this only reads it.
 */
export class CertificateSecretWatch {
  private source: MutableCertificateSource | undefined;
  private stored: StoredCertificates | undefined;
  private readonly waiters: Array<(source: MutableCertificateSource) => void> = [];
  private readonly listeners = new Set<(stored: StoredCertificates | undefined) => void>();

  constructor(
    manager: Manager,
    readonly namespace: string,
    readonly secretName: string,
    private readonly log: Logger,
  ) {
    const load = (secret: V1Secret | undefined): void => this.load(secret);
    manager.watch<V1Secret>(RESOURCES.secret, CertificateSecretWatch.selection(namespace, secretName), {
      onAdd: load,
      onUpdate: (_old, secret) => load(secret),
      onDelete: () => load(undefined),
    });
  }

  /** The informer selection of the Secret: one object by name, so RBAC can scope it with resourceNames. */
  static selection(namespace: string, secretName: string): { namespace: string; fieldSelector: string } {
    return { namespace, fieldSelector: `metadata.name=${secretName}` };
  }

  /** What the Secret holds now (undefined: no Secret). */
  current(): StoredCertificates | undefined {
    return this.stored;
  }

  /** The certificate source, once the Secret has held a serving certificate. */
  certificateSource(): MutableCertificateSource | undefined {
    return this.source;
  }

  /** Resolves with the source once the Secret holds a serving certificate. */
  waitForCertificate(): Promise<MutableCertificateSource> {
    if (this.source) return Promise.resolve(this.source);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Called on every change of the Secret. */
  onChange(listener: (stored: StoredCertificates | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private load(secret: V1Secret | undefined): void {
    this.stored = secret ? decodeCertificateSecret(secret.data) : undefined;
    const serving = this.stored?.serving;
    if (serving) {
      const certificate = { cert: serving.certPem, key: serving.keyPem };
      if (this.source) {
        this.source.update(certificate);
      } else {
        this.source = new MutableCertificateSource(certificate);
        this.log.info({ secret: `${this.namespace}/${this.secretName}` }, 'Loaded the serving certificate from the Secret');
        for (const resolve of this.waiters.splice(0)) resolve(this.source);
      }
    }
    // A deleted or emptied Secret keeps the last certificate served: the leader recreates it.
    for (const listener of this.listeners) listener(this.stored);
  }
}
