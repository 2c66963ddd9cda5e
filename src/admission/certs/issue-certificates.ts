// @peculiar/x509 resolves its ASN.1 handlers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * The webhook's own small PKI: a CA (its certificate goes into the ValidatingWebhookConfiguration's
 * caBundle) and serving certificates for `<service>.<namespace>.svc` signed by it. ECDSA P-256:
 * small, fast to generate, and accepted by the apiserver's Go TLS stack.
 */

x509.cryptoProvider.set(webcrypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Certificates start slightly in the past so a peer whose clock lags still accepts them. */
export const CLOCK_SKEW_ALLOWANCE_MS = 5 * 60_000;

/** A certificate and its key in PEM, with the facts the rotation planner needs. */
export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  facts: CertificateFacts;
}

/** What the rotation planner knows of a certificate, read back from its PEM. */
export interface CertificateFacts {
  /** sha256 of the DER, hex: the identity of the certificate. */
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
  /** Fingerprint of the issuing CA, when it is known (a CA we issued it with). */
  issuerFingerprint?: string;
  dnsNames: string[];
}

/** The DNS names the apiserver may use to reach the webhook Service. */
export function webhookServiceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

export async function createCertificateAuthority(options: { commonName: string; now: Date; lifetimeMs: number }): Promise<IssuedCertificate> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const notBefore = new Date(options.now.getTime() - CLOCK_SKEW_ALLOWANCE_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${options.commonName}`,
    notBefore,
    notAfter: new Date(options.now.getTime() + options.lifetimeMs),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyToPem(keys.privateKey), facts: await factsOf(cert) };
}

export async function issueServingCertificate(options: {
  ca: { certPem: string; keyPem: string };
  dnsNames: readonly string[];
  ipAddresses?: readonly string[];
  now: Date;
  lifetimeMs: number;
}): Promise<IssuedCertificate> {
  const caCert = new x509.X509Certificate(options.ca.certPem);
  const caKey = await pemToKey(options.ca.keyPem);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const names: x509.JsonGeneralName[] = [
    ...options.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${options.dnsNames[0] ?? 'dockmaster-webhook'}`,
    issuer: caCert.subject,
    notBefore: new Date(options.now.getTime() - CLOCK_SKEW_ALLOWANCE_MS),
    notAfter: new Date(options.now.getTime() + options.lifetimeMs),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyToPem(keys.privateKey), facts: await factsOf(cert, caCert) };
}

/** Reads the planner's facts back from a PEM certificate; with `caPem`, checks the signature to set the issuer. */
export async function readCertificateFacts(certPem: string, caPems: readonly string[] = []): Promise<CertificateFacts> {
  const cert = new x509.X509Certificate(certPem);
  for (const caPem of caPems) {
    const ca = new x509.X509Certificate(caPem);
    if (await cert.verify({ publicKey: ca.publicKey, signatureOnly: true })) return factsOf(cert, ca);
  }
  return factsOf(cert);
}

async function factsOf(cert: x509.X509Certificate, issuer?: x509.X509Certificate): Promise<CertificateFacts> {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const dnsNames = san ? san.names.items.filter((n) => n.type === 'dns').map((n) => n.value) : [];
  const facts: CertificateFacts = {
    fingerprint: await fingerprintOf(cert),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    dnsNames,
  };
  if (issuer) facts.issuerFingerprint = await fingerprintOf(issuer);
  return facts;
}

async function fingerprintOf(cert: x509.X509Certificate): Promise<string> {
  return Buffer.from(await cert.getThumbprint('SHA-256')).toString('hex');
}

async function keyToPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function pemToKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}

/** A positive 128-bit serial (RFC 5280: unique per CA, at most 20 octets, positive). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}
