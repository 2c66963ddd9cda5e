import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_ALLOWANCE_MS, readCertificateFacts, webhookServiceDnsNames } from '../../../src/admission/certs/certificate-facts.js';
import { createCertificateAuthority, issueServingCertificate } from '../../../src/admission/certs/issue-certificates.js';

describe('webhook certificates', () => {
  it('issues a CA and a serving certificate for <service>.<namespace>.svc that Node verifies', async () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const ca = await createCertificateAuthority({ commonName: 'dockmaster-webhook-ca', now, lifetimeMs: 86_400_000 });
    const dnsNames = webhookServiceDnsNames('dockmaster-webhook', 'dockmaster-system');
    const serving = await issueServingCertificate({ ca, dnsNames, now, lifetimeMs: 3_600_000 });

    const caCert = new X509Certificate(ca.certPem);
    const leaf = new X509Certificate(serving.certPem);
    expect(caCert.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.checkHost('dockmaster-webhook.dockmaster-system.svc')).toBe('dockmaster-webhook.dockmaster-system.svc');
    expect(leaf.checkHost('dockmaster-webhook.dockmaster-system.svc.evil.io')).toBeUndefined();
    expect(leaf.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    expect(leaf.checkPrivateKey(createPrivateKey(serving.keyPem))).toBe(true);

    expect(serving.facts).toMatchObject({ issuerFingerprint: ca.facts.fingerprint, dnsNames });
    expect(serving.facts.notBefore.getTime()).toBe(now.getTime() - CLOCK_SKEW_ALLOWANCE_MS);
    expect(serving.facts.notAfter.getTime()).toBe(now.getTime() + 3_600_000);
    expect(serving.facts.fingerprint).toBe(leaf.fingerprint256.replaceAll(':', '').toLowerCase());

    const other = await createCertificateAuthority({ commonName: 'other', now, lifetimeMs: 86_400_000 });
    expect((await readCertificateFacts(serving.certPem, [other.certPem, ca.certPem])).issuerFingerprint).toBe(ca.facts.fingerprint);
    expect((await readCertificateFacts(serving.certPem, [other.certPem])).issuerFingerprint).toBeUndefined();
  });
});
