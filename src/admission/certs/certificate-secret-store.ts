import type { V1Secret } from '@kubernetes/client-node';
import { decodeCertificateSecret, encodeCertificateSecret, type StoredCertificates } from '../../admission/certs/certificate-secret.js';
import { getOrUndefined, type KubeClients } from '../../runtime/kube-client.js';
import { objectPath, collectionPath, RESOURCES } from '../../runtime/resources.js';

/** The certificate Secret as read for a write: its content and the resourceVersion to write against. */
export interface StoredCertificatesVersion {
  stored: StoredCertificates;
  /** Absent: the Secret does not exist yet. */
  resourceVersion?: string;
}

/**
 * Reads and writes the operator-managed certificate Secret. Writes are conditional on the
 * resourceVersion read (create when absent), so a second writer (an old leader that has not
 * noticed it lost the lease) gets a conflict instead of replacing a CA the apiserver trusts.
 */
export class CertificateSecretStore {
  constructor(
    private readonly clients: Pick<KubeClients, 'requestJson'>,
    readonly namespace: string,
    readonly secretName: string,
  ) {}

  async read(): Promise<StoredCertificatesVersion> {
    const secret = await getOrUndefined(() => this.clients.requestJson<V1Secret>('GET', objectPath(RESOURCES.secret, this.namespace, this.secretName)));
    if (!secret) return { stored: { authorities: [] } };
    return { stored: decodeCertificateSecret(secret.data), ...(secret.metadata?.resourceVersion && { resourceVersion: secret.metadata.resourceVersion }) };
  }

  async write(stored: StoredCertificates, resourceVersion: string | undefined): Promise<void> {
    const secret: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: this.secretName,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/name': 'dockmaster', 'app.kubernetes.io/component': 'admission-webhook', 'app.kubernetes.io/managed-by': 'dockmaster' },
        ...(resourceVersion && { resourceVersion }),
      },
      type: 'kubernetes.io/tls',
      data: encodeCertificateSecret(stored),
    };
    if (resourceVersion) await this.clients.requestJson('PUT', objectPath(RESOURCES.secret, this.namespace, this.secretName), { body: secret });
    else await this.clients.requestJson('POST', collectionPath(RESOURCES.secret, this.namespace), { body: secret });
  }
}
