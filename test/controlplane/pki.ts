// @peculiar/x509 resolves its ASN.1 handlers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createCertificateAuthority, issueServingCertificate } from '../../src/admission/certs/issue-certificates.js';

/**
 * The control plane's PKI, as envtest builds it: one CA that signs both the apiserver's serving
 * certificate and the client certificates of users (the apiserver's `--client-ca-file`), and a
 * separate keypair that signs ServiceAccount tokens. ECDSA P-256 throughout: fast to generate,
 * and Go's TLS stack and the apiserver's token signer (ES256) accept it.
 */

x509.cryptoProvider.set(webcrypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const YEAR_MS = 365 * 24 * 3600_000;
const CLOCK_SKEW_MS = 5 * 60_000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface ControlPlanePki {
  ca: KeyPairPem;
  serving: KeyPairPem;
  admin: KeyPairPem;
  serviceAccount: { publicKeyPem: string; privateKeyPem: string };
}

export async function createControlPlanePki(): Promise<ControlPlanePki> {
  const now = new Date();
  const ca = await createCertificateAuthority({ commonName: 'dockmaster-test-control-plane-ca', now, lifetimeMs: YEAR_MS });
  const serving = await issueServingCertificate({
    ca,
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    ipAddresses: ['127.0.0.1', '10.0.0.1'],
    now,
    lifetimeMs: YEAR_MS,
  });
  // system:masters is bound to cluster-admin by the apiserver's bootstrap RBAC policy.
  const admin = await issueClientCertificate(ca, 'admin', ['system:masters']);
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serviceAccount = {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  return { ca: { certPem: ca.certPem, keyPem: ca.keyPem }, serving, admin, serviceAccount };
}

/**
 * A client certificate the apiserver maps to user `userName` in `groups`: the subject's CN is the
 * user name and each O is a group (Kubernetes' x509 authenticator convention).
 */
export async function issueClientCertificate(ca: KeyPairPem, userName: string, groups: readonly string[]): Promise<KeyPairPem> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(ca.keyPem), ALGORITHM, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: new x509.Name([{ CN: [userName] }, ...groups.map((group) => ({ O: [group] }))]),
    issuer: caCert.subject,
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter: new Date(now + YEAR_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  const keyDer = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(keyDer, 'PRIVATE KEY') };
}

/** A positive 128-bit serial (RFC 5280: unique per CA, at most 20 octets, positive). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}
