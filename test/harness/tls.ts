import {
  createCertificateAuthority,
  issueServingCertificate,
  type IssuedCertificate,
} from '../../src/admission/certs/issue-certificates.js';

/**
 * Certificates for harness servers on the loopback interface. The webhook's issuance code already
 * makes a CA and Go-compatible serving certificates (ECDSA P-256, PKCS#8 keys), so the harness uses
 * it rather than a second PKI; what is under test is the client that trusts (or refuses) them.
 */

const ONE_DAY_MS = 24 * 60 * 60_000;

export interface LoopbackTlsMaterial {
  /** The CA certificate a client must trust (PEM). */
  caPem: string;
  /** Serving certificate for `127.0.0.1` and `localhost`, signed by the CA. */
  certPem: string;
  keyPem: string;
}

export async function createLoopbackTls(commonName = 'dockmaster test CA'): Promise<LoopbackTlsMaterial> {
  const now = new Date();
  const ca = await createCertificateAuthority({ commonName, now, lifetimeMs: ONE_DAY_MS });
  const serving = await issueServingCertificate({
    ca,
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    now,
    lifetimeMs: ONE_DAY_MS,
  });
  return { caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem };
}

/** A self-signed certificate and key, used by the token issuer to sign JWTs (and as the registry's root bundle). */
export async function createSigningCertificate(commonName: string): Promise<IssuedCertificate> {
  return createCertificateAuthority({ commonName, now: new Date(), lifetimeMs: ONE_DAY_MS });
}
