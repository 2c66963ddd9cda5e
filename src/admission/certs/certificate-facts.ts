import { X509Certificate } from 'node:crypto';

/**
 * What the rotation planner and the metrics know of a certificate, read from its PEM with Node's
 * own X509Certificate. Reading is all the webhook does on most days; issuing (issue-certificates.ts,
 * with @peculiar/x509 and its ASN.1 stack) is loaded only when a certificate must be made.
 */
export interface CertificateFacts {
  /** sha256 of the DER, hex: the identity of the certificate. */
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
  /** Fingerprint of the issuing CA, when it is known (a CA we issued it with). */
  issuerFingerprint?: string;
  dnsNames: string[];
}

/** Certificates start slightly in the past so a peer whose clock lags still accepts them. */
export const CLOCK_SKEW_ALLOWANCE_MS = 5 * 60_000;

/** The DNS names the apiserver may use to reach the webhook Service. */
export function webhookServiceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

/** Reads the planner's facts back from a PEM certificate; with `caPems`, checks the signature to set the issuer. */
export async function readCertificateFacts(certPem: string, caPems: readonly string[] = []): Promise<CertificateFacts> {
  const cert = new X509Certificate(certPem);
  const facts: CertificateFacts = {
    fingerprint: fingerprintOf(cert),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    dnsNames: dnsNamesOf(cert),
  };
  for (const caPem of caPems) {
    const ca = new X509Certificate(caPem);
    if (cert.verify(ca.publicKey)) return { ...facts, issuerFingerprint: fingerprintOf(ca) };
  }
  return facts;
}

function fingerprintOf(cert: X509Certificate): string {
  return cert.fingerprint256.replaceAll(':', '').toLowerCase();
}

/**
 * The DNS entries of the subjectAltName. Node prints it as `DNS:a, DNS:b, IP Address:…`, quoting
 * (JSON) an entry that holds a comma or a quote; such an entry is no valid DNS name, so it is skipped.
 */
function dnsNamesOf(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (!san) return [];
  return san
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice('DNS:'.length));
}
