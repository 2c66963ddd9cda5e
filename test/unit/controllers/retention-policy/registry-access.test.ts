import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Registry } from '../../../../src/api/registry.js';
import { retentionPolicySpecSchema, type RetentionPolicySpecInput } from '../../../../src/api/retention-policy.js';
import { policyReferences, resolveRegistryAccess, type AccessLookups } from '../../../../src/controllers/retention-policy/registry-access.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const secret = (name: string, data: Record<string, string>): V1Secret => ({
  metadata: { name },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});
const registry = (name: string, spec: Partial<Registry['spec']> = {}, status?: Registry['status']): Registry =>
  ({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name, namespace: 'ns' }, spec: { storage: { emptyDir: {} }, ...spec }, ...(status ? { status } : {}) }) as Registry;
const lookups = (registries: Registry[], secrets: V1Secret[]): AccessLookups => ({
  registry: (name) => registries.find((r) => r.metadata.name === name),
  secret: (name) => secrets.find((s) => s.metadata?.name === name),
});
const spec = (input: Partial<RetentionPolicySpecInput>) => retentionPolicySpecSchema.parse({ keep: [{ mostRecent: 1 }], ...input });

describe('resolveRegistryAccess: registryRef', () => {
  it('uses the in-cluster Service URL of an anonymous Registry; the lock key is namespace/name', () => {
    const result = resolveRegistryAccess('ns', spec({ registryRef: { name: 'main' } }), lookups([registry('main')], []));
    expect(result).toMatchObject({ ok: true, access: { registryKey: 'ns/main', url: 'http://main.ns.svc:5000', insecureSkipTlsVerify: false } });
    expect(result.ok && result.access.credentials).toBeUndefined();
  });

  it.each([
    ['registry:3.1.2', true],
    ['mirror.example/distribution/distribution:v3.0.0', true],
    ['registry:2.8.3', false],
    ['registry@sha256:' + 'a'.repeat(64), false],
    ['registry:latest', false],
    [undefined, false],
  ])('untags only on an image that names distribution 3.x (%s → %s)', (image, canUntag) => {
    const result = resolveRegistryAccess('ns', spec({ registryRef: { name: 'main' } }), lookups([registry('main', image === undefined ? {} : ({ image } as never))], []));
    expect(result.ok && result.access.canUntag).toBe(canUntag);
  });

  it('never untags on an external registry (its version is unknown)', () => {
    const result = resolveRegistryAccess('ns', spec({ external: { url: 'https://r.example' } }), lookups([], []));
    expect(result.ok && result.access.canUntag).toBe(false);
  });

  it('derives the URL from name, namespace and spec (never status.endpoint), https with TLS, and trusts ca.crt (else tls.crt) of the TLS Secret', () => {
    // A tenant who can write registries/status must not be able to point retention elsewhere.
    const reg = registry('main', { tls: { secretName: 'main-tls' }, service: { port: 443 } } as never, { endpoint: 'evil.other.svc:443' });
    const withCa = resolveRegistryAccess('ns', spec({ registryRef: { name: 'main' } }), lookups([reg], [secret('main-tls', { 'tls.crt': 'LEAF', 'ca.crt': 'CA' })]));
    expect(withCa).toMatchObject({ ok: true, access: { url: 'https://main.ns.svc:443', caPem: 'CA' } });
    const selfSigned = resolveRegistryAccess('ns', spec({ registryRef: { name: 'main' } }), lookups([reg], [secret('main-tls', { 'tls.crt': 'LEAF' })]));
    expect(selfSigned).toMatchObject({ ok: true, access: { caPem: 'LEAF' } });
  });

  it('logs in with the username/password keys of the htpasswd Secret', () => {
    const reg = registry('main', { auth: { htpasswdSecret: 'users' } });
    const result = resolveRegistryAccess('ns', spec({ registryRef: { name: 'main' } }), lookups([reg], [secret('users', { htpasswd: 'x', username: 'u', password: 'p' })]));
    expect(result).toMatchObject({ ok: true, access: { credentials: { username: 'u', password: 'p' } } });
  });

  it.each([
    ['no Registry', [], [], 'RegistryNotFound', 'Registry main not found in namespace ns'],
    ['no Secret', [registry('main', { auth: { htpasswdSecret: 'users' } })], [], 'SecretMissing', 'Secret users (spec.auth.htpasswdSecret of Registry main) not found'],
    ['no username key', [registry('main', { auth: { htpasswdSecret: 'users' } })], [secret('users', { htpasswd: 'x' })], 'SecretKeyMissing', 'Secret users has no key username'],
    ['no password key', [registry('main', { auth: { htpasswdSecret: 'users' } })], [secret('users', { htpasswd: 'x', username: 'u' })], 'SecretKeyMissing', 'Secret users has no key password'],
    ['no TLS Secret', [registry('main', { tls: { secretName: 'tls' } })], [], 'SecretMissing', 'Secret tls (spec.tls.secretName of Registry main) not found'],
  ] as const)('%s → Ready=False, the reason and message naming it', (_case, registries, secrets, reason, message) => {
    const result = resolveRegistryAccess('ns', spec({ registryRef: { name: 'main' } }), lookups([...registries], [...secrets]));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problem.reason).toBe(reason);
      expect(result.problem.message).toContain(message);
    }
  });
});

describe('resolveRegistryAccess: external', () => {
  const dockerConfig = (host: string) => JSON.stringify({ auths: { [host]: { auth: b64('robot:pw') } } });

  it('takes credentials for the URL host from a dockerconfigjson Secret and the CA from ca.crt; the lock key is the URL', () => {
    const result = resolveRegistryAccess(
      'ns',
      spec({ external: { url: 'https://r.example:5000/', credentialsSecret: 'pull', caSecret: 'ca' } }),
      lookups([], [secret('pull', { '.dockerconfigjson': dockerConfig('r.example:5000') }), secret('ca', { 'ca.crt': 'PEM' })]),
    );
    expect(result).toMatchObject({ ok: true, access: { registryKey: 'https://r.example:5000', url: 'https://r.example:5000', credentials: { username: 'robot', password: 'pw' }, caPem: 'PEM' } });
  });

  it('passes insecure through and goes anonymous without a credentials Secret', () => {
    const result = resolveRegistryAccess('ns', spec({ external: { url: 'https://r.example', insecure: true } }), lookups([], []));
    expect(result).toMatchObject({ ok: true, access: { insecureSkipTlsVerify: true } });
  });

  it.each([
    ['missing Secret', [], 'SecretMissing', 'Secret pull (spec.external.credentialsSecret) not found'],
    ['missing key', [secret('pull', { other: 'x' })], 'SecretKeyMissing', 'Secret pull has no key .dockerconfigjson'],
    ['not JSON', [secret('pull', { '.dockerconfigjson': '{' })], 'SecretInvalid', 'not valid JSON'],
    ['no entry for the host', [secret('pull', { '.dockerconfigjson': dockerConfig('other.example') })], 'SecretInvalid', 'no auths entry with credentials for https://r.example'],
  ] as const)('%s → Ready=False, the reason and message naming it', (_case, secrets, reason, message) => {
    const result = resolveRegistryAccess('ns', spec({ external: { url: 'https://r.example', credentialsSecret: 'pull' } }), lookups([], [...secrets]));
    expect(result.ok ? undefined : result.problem).toMatchObject({ reason, message: expect.stringContaining(message) });
  });

  it('a caSecret without ca.crt names the key', () => {
    const result = resolveRegistryAccess('ns', spec({ external: { url: 'https://r.example', caSecret: 'ca' } }), lookups([], [secret('ca', { 'tls.crt': 'x' })]));
    expect(result.ok ? undefined : result.problem).toMatchObject({ reason: 'SecretKeyMissing', message: expect.stringContaining('Secret ca has no key ca.crt') });
  });
});

describe('policyReferences', () => {
  it('names the Registry and the Secrets it reads, so their events find the policy', () => {
    const reg = registry('main', { auth: { htpasswdSecret: 'users' }, tls: { secretName: 'tls' } });
    expect(policyReferences(spec({ registryRef: { name: 'main' } }), lookups([reg], []))).toEqual({ registryName: 'main', secretNames: ['users', 'tls'] });
    expect(policyReferences(spec({ registryRef: { name: 'gone' } }), lookups([], []))).toEqual({ registryName: 'gone', secretNames: [] });
    expect(policyReferences(spec({ external: { url: 'https://r.example', credentialsSecret: 'pull', caSecret: 'ca' } }), lookups([], []))).toEqual({ secretNames: ['pull', 'ca'] });
  });
});
