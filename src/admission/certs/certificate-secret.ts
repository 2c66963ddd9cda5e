import { joinPems, splitPemCertificates } from '../webhook-configuration.js';

/**
 * The layout of the Secret holding the webhook's certificates: a `kubernetes.io/tls` Secret
 * (tls.crt, tls.key, as cert-manager writes them) plus `ca.crt`, every CA still trusted, oldest
 * first, and `ca.key`, the key of the newest CA, the only one that signs. The Secret is the one
 * source of truth every replica loads its serving certificate from.
 */
export const CERTIFICATE_SECRET_KEYS = { cert: 'tls.crt', key: 'tls.key', caBundle: 'ca.crt', caKey: 'ca.key' } as const;

export interface StoredCertificates {
  /** CA certificates (PEM), oldest first. */
  authorities: string[];
  /** Private key (PEM) of the newest authority. */
  signingKeyPem?: string;
  serving?: { certPem: string; keyPem: string };
}

/** Reads a Secret's base64 `data`; missing or empty keys are absent fields. */
export function decodeCertificateSecret(data: Readonly<Record<string, string>> | undefined): StoredCertificates {
  const text = (key: string): string | undefined => {
    const value = data?.[key];
    return value ? Buffer.from(value, 'base64').toString('utf8') : undefined;
  };
  const cert = text(CERTIFICATE_SECRET_KEYS.cert);
  const key = text(CERTIFICATE_SECRET_KEYS.key);
  const caKey = text(CERTIFICATE_SECRET_KEYS.caKey);
  return {
    authorities: splitPemCertificates(text(CERTIFICATE_SECRET_KEYS.caBundle) ?? ''),
    ...(caKey && { signingKeyPem: caKey }),
    ...(cert && key && { serving: { certPem: cert, keyPem: key } }),
  };
}

/** The Secret's base64 `data` for `stored`. tls.crt and tls.key are always present (empty before issuance) as the tls type requires. */
export function encodeCertificateSecret(stored: StoredCertificates): Record<string, string> {
  const base64 = (value: string): string => Buffer.from(value).toString('base64');
  return {
    [CERTIFICATE_SECRET_KEYS.cert]: base64(stored.serving?.certPem ?? ''),
    [CERTIFICATE_SECRET_KEYS.key]: base64(stored.serving?.keyPem ?? ''),
    [CERTIFICATE_SECRET_KEYS.caBundle]: base64(joinPems(stored.authorities)),
    ...(stored.signingKeyPem && { [CERTIFICATE_SECRET_KEYS.caKey]: base64(stored.signingKeyPem) }),
  };
}

export function sameStoredCertificates(a: StoredCertificates, b: StoredCertificates): boolean {
  const left = encodeCertificateSecret(a);
  const right = encodeCertificateSecret(b);
  return Object.keys({ ...left, ...right }).every((key) => left[key] === right[key]);
}
