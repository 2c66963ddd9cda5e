import { describe, expect, it } from 'vitest';
import { registryAdmissionSources } from '../../../src/admission/registry-sources.js';
import { decodeCertificateSecret, encodeCertificateSecret } from '../../../src/admission/certs/certificate-secret.js';

describe('registryAdmissionSources', () => {
  it('takes hostnames and the in-cluster endpoint of allowed Registries, sorted, never from status', () => {
    // status.endpoint is ignored: a tenant who can write registries/status must not widen admission.
    const forged = { metadata: { name: 'z', namespace: 'b' }, spec: { hostnames: ['z.example.com'], service: { port: 5443 } }, status: { endpoint: 'https://evil.io:443/' } };
    expect(
      registryAdmissionSources([
        forged,
        { metadata: { name: 'main', namespace: 'a' }, spec: { hostnames: [], service: { port: 5001 } } },
        { metadata: { name: 'off', namespace: 'a' }, spec: { hostnames: ['off.example.com'], admission: { allowed: false } } },
        { metadata: { name: 'nameless' } },
      ]),
    ).toEqual([
      { registry: 'a/main', hostnames: [], endpoint: 'main.a.svc:5001' },
      { registry: 'b/z', hostnames: ['z.example.com'], endpoint: 'z.b.svc:5443' },
    ]);
  });
});

describe('certificate Secret layout', () => {
  const CA1 = '-----BEGIN CERTIFICATE-----\nCA1\n-----END CERTIFICATE-----\n';
  const CA2 = '-----BEGIN CERTIFICATE-----\nCA2\n-----END CERTIFICATE-----\n';
  it('round-trips CAs, CA key and serving pair through tls.crt, tls.key, ca.crt, ca.key', () => {
    const stored = { authorities: [CA1, CA2], signingKeyPem: 'KEY', serving: { certPem: 'CERT', keyPem: 'SKEY' } };
    const data = encodeCertificateSecret(stored);
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    expect(decodeCertificateSecret(data)).toEqual(stored);
  });
  it('reads an empty or cert-manager Secret', () => {
    expect(decodeCertificateSecret(undefined)).toEqual({ authorities: [] });
    const certManager = { 'tls.crt': Buffer.from('CERT').toString('base64'), 'tls.key': Buffer.from('K').toString('base64') };
    expect(decodeCertificateSecret(certManager)).toEqual({ authorities: [], serving: { certPem: 'CERT', keyPem: 'K' } });
  });
});
