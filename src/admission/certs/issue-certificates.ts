// @peculiar/x509 resolves its ASN.1 handlers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CLOCK_SKEW_ALLOWANCE_MS, readCertificateFacts, type CertificateFacts } from './certificate-facts.js';

/**
 * The webhook's own small PKI: a CA (its certificate goes into the ValidatingWebhookConfiguration's
 * caBundle) and serving certificates for `<service>.<namespace>.svc` signed by it. ECDSA P-256:
 * small, fast to generate, and accepted by the apiserver's Go TLS stack. Loaded only when a
 * certificate is issued: reading one is certificate-facts.ts, on Node's own X509Certificate.
 */

x509.cryptoProvider.set(webcrypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** A certificate and its key in PEM, with the facts the rotation planner needs. */
export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  facts: CertificateFacts;
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
  const certPem = cert.toString('pem');
  return { certPem, keyPem: await keyToPem(keys.privateKey), facts: await readCertificateFacts(certPem) };
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
  const certPem = cert.toString('pem');
  return { certPem, keyPem: await keyToPem(keys.privateKey), facts: await readCertificateFacts(certPem, [options.ca.certPem]) };
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
