import { describe, expect, it } from 'vitest';
import { registryAdmissionSources } from '../../../src/admission/registry-sources.js';
import { hostPatternMatches } from '../../../src/registry/host-pattern.js';
import { decodeCertificateSecret, encodeCertificateSecret } from '../../../src/admission/certs/certificate-secret.js';

describe('registryAdmissionSources', () => {
  const mapped = { clusterWideNamespaces: [], hostnames: [{ pattern: 'z.example.com', namespace: 'b' }] };
  it('takes the mapped hostnames and the in-cluster endpoint of allowed Registries, sorted, never from status', () => {
    // status.endpoint is ignored: a tenant who can write registries/status must not widen admission.
    const forged = { metadata: { name: 'z', namespace: 'b' }, spec: { hostnames: ['z.example.com'], service: { port: 5443 } }, status: { endpoint: 'https://evil.io:443/' } };
    expect(
      registryAdmissionSources(
        [
          forged,
          { metadata: { name: 'main', namespace: 'a' }, spec: { hostnames: [], service: { port: 5001 } } },
          { metadata: { name: 'off', namespace: 'a' }, spec: { hostnames: ['off.example.com'], admission: { allowed: false } } },
          { metadata: { name: 'nameless' } },
        ],
        mapped,
      ),
    ).toEqual([
      { registry: 'a/main', namespace: 'a', clusterWide: false, hostnames: [], endpoint: 'main.a.svc:5001', ignoredHostnames: [] },
      { registry: 'b/z', namespace: 'b', clusterWide: false, hostnames: ['z.example.com'], endpoint: 'z.b.svc:5443', ignoredHostnames: [] },
    ]);
  });

  it('ignores a hostname no pattern maps to the Registry namespace, naming the configuration key', () => {
    const [source] = registryAdmissionSources([{ metadata: { name: 'evil', namespace: 'team-b' }, spec: { hostnames: ['z.example.com'] } }], mapped);
    expect(source?.hostnames).toEqual([]);
    expect(source?.ignoredHostnames).toEqual([
      { hostname: 'z.example.com', reason: 'NotMapped', message: expect.stringContaining('admission.registries.hostnames') },
    ]);
  });

  it('never lets a Registry claim a public registry, whatever the patterns say', () => {
    const config = { clusterWideNamespaces: ['team-b'], hostnames: [{ pattern: '*.io', namespace: 'team-b' }, { pattern: 'docker.io', namespace: 'team-b' }] };
    const [source] = registryAdmissionSources(
      [{ metadata: { name: 'r', namespace: 'team-b' }, spec: { hostnames: ['evil.io', 'docker.io', 'ghcr.io', 'index.docker.io', 'europe-docker.pkg.dev', 'x.dkr.ecr.us-east-1.amazonaws.com', 'Quay.io:443'] } }],
      config,
    );
    expect(source?.hostnames).toEqual(['evil.io']);
    expect(source?.ignoredHostnames.map((i) => [i.hostname, i.reason])).toEqual([
      ['docker.io', 'PublicRegistry'],
      ['ghcr.io', 'PublicRegistry'],
      ['index.docker.io', 'PublicRegistry'],
      ['europe-docker.pkg.dev', 'PublicRegistry'],
      ['x.dkr.ecr.us-east-1.amazonaws.com', 'PublicRegistry'],
      ['quay.io:443', 'PublicRegistry'],
    ]);
  });

  it('admits neither of two Registries that claim the same hostname, and both say so', () => {
    const config = { clusterWideNamespaces: [], hostnames: [{ pattern: '*.registry.example.com', namespace: 'registries' }] };
    const sources = registryAdmissionSources(
      [
        { metadata: { name: 'one', namespace: 'registries' }, spec: { hostnames: ['cache.registry.example.com', 'one.registry.example.com'] } },
        { metadata: { name: 'two', namespace: 'registries' }, spec: { hostnames: ['CACHE.registry.example.com'] } },
      ],
      config,
    );
    expect(sources.map((s) => [s.registry, s.hostnames])).toEqual([
      ['registries/one', ['one.registry.example.com']],
      ['registries/two', []],
    ]);
    expect(sources[0]?.ignoredHostnames).toEqual([{ hostname: 'cache.registry.example.com', reason: 'Conflict', message: expect.stringContaining('Registry registries/two') }]);
    expect(sources[1]?.ignoredHostnames[0]).toMatchObject({ reason: 'Conflict', message: expect.stringContaining('Registry registries/one') });
  });

  it('names no Registry of another namespace in a conflict', () => {
    const config = { clusterWideNamespaces: [], hostnames: [{ pattern: 'shared.example.com', namespace: 'a' }, { pattern: 'shared.example.com', namespace: 'b' }] };
    const sources = registryAdmissionSources(
      [
        { metadata: { name: 'secret-name', namespace: 'a' }, spec: { hostnames: ['shared.example.com'] } },
        { metadata: { name: 'other', namespace: 'b' }, spec: { hostnames: ['shared.example.com'] } },
      ],
      config,
    );
    expect(sources[1]?.ignoredHostnames[0]?.message).toContain('a Registry in another namespace');
    expect(sources[1]?.ignoredHostnames[0]?.message).not.toContain('secret-name');
  });

  it('leaves out a Registry whose children are in a name conflict (its Service is someone else\'s)', () => {
    const conflicted = { metadata: { name: 'web', namespace: 'a' }, spec: {}, status: { conditions: [{ type: 'Degraded', status: 'True', reason: 'NameConflict' }] } };
    const healthy = { metadata: { name: 'ok', namespace: 'a' }, spec: {}, status: { conditions: [{ type: 'Degraded', status: 'False', reason: 'AsExpected' }] } };
    expect(registryAdmissionSources([conflicted, healthy]).map((s) => s.registry)).toEqual(['a/ok']);
  });

  it('marks Registries of the configured namespaces cluster-wide', () => {
    const [source] = registryAdmissionSources([{ metadata: { name: 'main', namespace: 'registries' }, spec: {} }], { clusterWideNamespaces: ['registries'], hostnames: [] });
    expect(source).toMatchObject({ clusterWide: true, endpoint: 'main.registries.svc:5000' });
  });

  it('matches host patterns: exact, *.domain (not the domain itself), with or without a port', () => {
    expect(hostPatternMatches('registry.example.com', 'registry.example.com:5000')).toBe(true);
    expect(hostPatternMatches('registry.example.com:5000', 'registry.example.com')).toBe(false);
    expect(hostPatternMatches('*.example.com', 'a.b.example.com')).toBe(true);
    expect(hostPatternMatches('*.example.com', 'example.com')).toBe(false);
    expect(hostPatternMatches('*.example.com', 'evilexample.com')).toBe(false);
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
