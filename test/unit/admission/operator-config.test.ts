import { describe, expect, it } from 'vitest';
import { InputValidationError } from '../../../src/errors.js';
import { parseOperatorConfig, parseOperatorConfigText } from '../../../src/config/operator-config.js';

function issuesOf(input: unknown): Array<{ path: string; message: string }> {
  try {
    parseOperatorConfig(input);
  } catch (error) {
    if (error instanceof InputValidationError) return [...error.issues];
    throw error;
  }
  return [];
}

describe('operator configuration', () => {
  it('has safe defaults: enforce, nothing allowed, kube-system exempt, Registries scoped to their namespace, webhook on 9443, fail closed, operator-managed certificate', () => {
    expect(parseOperatorConfig({})).toEqual({
      namespace: 'dockmaster-system',
      watchNamespaces: [],
      retention: { maxConcurrentRuns: 4, maxConcurrentRunsPerNamespace: 2, maxTagsInMemory: 150_000 },
      registries: { defaultImage: 'registry:2.8.3', anonymousMirrorsWithCredentials: false },
      pullTracking: { maxRecordsPerRegistry: 20_000, flushIntervalSeconds: 10 },
      admission: {
        mode: 'enforce',
        allowedRegistries: [],
        exemptNamespaces: ['kube-system'],
        registries: { clusterWideNamespaces: [], hostnames: [] },
        namespaces: [],
        webhook: {
          host: '0.0.0.0',
          port: 9443,
          bodyLimitBytes: 7 * 1024 * 1024,
          serviceName: 'dockmaster-webhook',
          servicePort: 443,
          register: true,
          patchCaBundleOnly: false,
          configurationName: 'dockmaster-image-sources',
          failurePolicy: 'Fail',
          timeoutSeconds: 5,
          certificate: { source: 'operator', secretName: 'dockmaster-webhook-tls' },
        },
      },
      // Any public registry name; never loopback, link-local or unspecified addresses (security.md).
      externalRegistries: { allowedHosts: ['*'], allowedCidrs: [], deniedCidrs: [] },
    });
  });

  it('reads YAML', () => {
    const config = parseOperatorConfigText(
      'namespace: ops\nadmission:\n  mode: warn\n  allowedRegistries: [ghcr.io/acme/*, "[::1]:5000"]\n  webhook: {port: 8443, certFile: /tls/tls.crt, keyFile: /tls/tls.key}\n',
    );
    expect(config.admission).toMatchObject({ mode: 'warn', allowedRegistries: ['ghcr.io/acme/*', '[::1]:5000'], webhook: { port: 8443, certFile: '/tls/tls.crt' } });
  });

  it('names every bad field', () => {
    expect(
      issuesOf({
        admission: {
          mode: 'deny',
          allowedRegistries: ['docker.io/library', 'library/nginx'],
          exemptNamespaces: ['Kube_System'],
          webhook: { port: 70000, certFile: '/tls.crt' },
        },
      }).map((i) => i.path),
    ).toEqual(['admission.mode', 'admission.allowedRegistries[1]', 'admission.exemptNamespaces[0]', 'admission.webhook.port']);
    expect(issuesOf({ admission: { webhook: { certFile: '/tls.crt' } } })).toEqual([{ path: 'admission.webhook.keyFile', message: 'certFile and keyFile go together' }]);
  });

  it('refuses unknown keys, so a typo never turns a setting off silently', () => {
    expect(issuesOf({ admission: { allowedRegistry: ['ghcr.io'] } })[0]?.message).toContain('allowedRegistry');
    expect(issuesOf({ admision: {} })[0]?.message).toContain('admision');
  });

  it('refuses text that is not one YAML document', () => {
    expect(() => parseOperatorConfigText('a: 1\n---\nb: 2\n')).toThrow('expected one YAML or JSON document');
    expect(() => parseOperatorConfigText('admission: [')).toThrow('not valid YAML or JSON');
  });
});

describe('per-namespace rules and Registry scoping in the configuration', () => {
  const issuePaths = (admission: unknown): string[] => {
    try {
      parseOperatorConfig({ admission });
      return [];
    } catch (error) {
      return (error as { issues: Array<{ path: string }> }).issues.map((i) => i.path);
    }
  };
  it('accepts rules by names that loosen and rules by labels that tighten', () => {
    const config = parseOperatorConfig({
      admission: {
        mode: 'warn',
        namespaces: [
          { names: ['team-a'], allowedRegistries: ['ghcr.io/team-a/*', 'docker.io/library/ubuntu:20.14'], mode: 'audit' },
          { matchLabels: { tier: 'prod' }, mode: 'enforce', requireDigest: true, denyLatest: true },
        ],
        registries: { clusterWideNamespaces: ['registries'], hostnames: [{ pattern: '*.registry.example.com', namespace: 'registries' }] },
      },
    });
    expect(config.admission.namespaces[1]).toMatchObject({ requireDigest: true, denyLatest: true, allowedRegistries: [] });
  });
  it('refuses a label-selected rule that loosens, naming the field and the fix', () => {
    expect(issuePaths({ namespaces: [{ matchLabels: { team: 'a' }, allowedRegistries: ['ghcr.io'] }] })).toEqual(['admission.namespaces[0].allowedRegistries']);
    expect(issuePaths({ mode: 'enforce', namespaces: [{ matchLabels: { team: 'a' }, mode: 'warn' }] })).toEqual(['admission.namespaces[0].mode']);
    expect(issuePaths({ namespaces: [{ allowedRegistries: ['ghcr.io'] }] })).toEqual(['admission.namespaces[0]']);
    expect(() => parseOperatorConfig({ admission: { namespaces: [{ matchLabels: { team: 'a' }, allowedRegistries: ['ghcr.io'] }] } })).toThrow(/select the namespaces by names/i);
  });
  it('refuses a host pattern that is not a host or *.domain', () => {
    expect(issuePaths({ registries: { hostnames: [{ pattern: 'ghcr.io/acme', namespace: 'a' }] } })).toEqual(['admission.registries.hostnames[0].pattern']);
    expect(issuePaths({ registries: { hostnames: [{ pattern: '*', namespace: 'a' }] } })).toEqual(['admission.registries.hostnames[0].pattern']);
  });
});

describe('watched namespaces (the namespaced install mode)', () => {
  it('come from the flag when given, else from watchNamespaces; empty means all', async () => {
    const { watchedNamespaces } = await import('../../../src/config/operator-config.js');
    const config = parseOperatorConfig({ watchNamespaces: ['team-a', 'team-b'] });
    expect(watchedNamespaces(undefined, config)).toEqual(['team-a', 'team-b']);
    expect(watchedNamespaces('', config)).toEqual(['team-a', 'team-b']);
    expect(watchedNamespaces('x, y', config)).toEqual(['x', 'y']);
    expect(watchedNamespaces(undefined, parseOperatorConfig({}))).toEqual([]);
  });

  it('retention run slots: a namespace cap above the total is refused, naming the field', () => {
    expect(issuesOf({ retention: { maxConcurrentRuns: 2, maxConcurrentRunsPerNamespace: 3 } })).toEqual([
      { path: 'retention.maxConcurrentRunsPerNamespace', message: 'maxConcurrentRunsPerNamespace cannot exceed maxConcurrentRuns' },
    ]);
  });

  it('refuses a bad name or a repeat, naming the field', async () => {
    const { watchedNamespaces } = await import('../../../src/config/operator-config.js');
    expect(issuesOf({ watchNamespaces: ['Team_A'] })[0]?.path).toBe('watchNamespaces[0]');
    expect(issuesOf({ watchNamespaces: ['a', 'a'] })[0]?.message).toMatch(/lists a namespace twice/);
    expect(() => watchedNamespaces('a,Not_Valid', parseOperatorConfig({}))).toThrow(/--watch-namespace/);
  });
});
