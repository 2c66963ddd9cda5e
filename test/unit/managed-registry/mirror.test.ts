import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registrySpecSchema } from '../../../src/api/registry.js';
import { buildRegistryConfig } from '../../../src/managed-registry/config.js';
import { buildDeployment } from '../../../src/managed-registry/deployment.js';
import { registryChildNames } from '../../../src/managed-registry/children.js';
import { mirrorProblems, proxyCredentialsOf } from '../../../src/managed-registry/mirror.js';
import { findSpecProblems } from '../../../src/managed-registry/spec-problems.js';
import { OWNER, specWith } from './registry-fixture.js';

const HUB = 'https://registry-1.docker.io';
const mirror = (proxy: Record<string, unknown>, extra: Record<string, unknown> = {}) => specWith({ image: 'registry:3.1.2', proxy: { remoteURL: HUB, ...proxy }, ...extra } as never);
const issues = (spec: unknown): string[] => {
  const result = registrySpecSchema.safeParse(spec);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};
const base = { storage: { emptyDir: {} } };

describe('mirror spec (spec.proxy)', () => {
  it.each([
    ['https://registry-1.docker.io', true],
    ['https://registry-1.docker.io/', true],
    ['http://10.0.0.5:5000', true],
    ['https://registry-1.docker.io/v2', false],
    ['https://quay.io/library', false],
    ['https://quay.io?x=1', false],
    ['https://quay.io#top', false],
    ['https://user:pw@quay.io', false],
    ['ftp://quay.io', false],
    ['quay.io', false],
  ])('remoteURL %s accepted: %s', (remoteURL, ok) => {
    const found = issues({ ...base, proxy: { remoteURL } });
    if (ok) expect(found).toEqual([]);
    else expect(found.join()).toMatch(/^proxy\.remoteURL: must be scheme:\/\/host\[:port\] and nothing else/);
  });

  it('refuses what makes no sense for a mirror, naming the field and the fix', () => {
    expect(issues({ ...base, replicas: 2, proxy: { remoteURL: HUB } })).toEqual([expect.stringMatching(/^replicas: a mirror \(spec.proxy\) runs one replica: .*set replicas: 1$/)]);
    expect(issues({ ...base, proxy: { remoteURL: HUB }, garbageCollection: { schedule: '0 3 * * 0' } })).toEqual([
      expect.stringMatching(/^garbageCollection: a mirror \(spec.proxy\) has no garbage-collection windows: read-only mode does not stop its cache fills/),
    ]);
    expect(issues({ ...base, proxy: { remoteURL: HUB, ttl: '0s' } }).join()).toMatch(/^proxy\.ttl: must be longer than zero/);
    expect(issues({ ...base, replicas: 2, garbageCollection: { schedule: '0 3 * * 0' } })).toEqual([]);
  });

  it('renders distribution\'s proxy section without credentials; they come from the Secret as env', () => {
    const spec = mirror({ credentialsSecret: 'hub-creds', ttl: '72h' });
    const config = parse(buildRegistryConfig(spec, { realm: 'main', readOnly: false })) as { proxy: unknown };
    expect(config.proxy).toEqual({ remoteurl: HUB, ttl: '72h' });
    expect(JSON.stringify(config)).not.toMatch(/password|username/);
    const env = buildDeployment(OWNER, spec, { names: registryChildNames(OWNER.name), configHash: 'h' }).spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.filter((e) => e.name.startsWith('REGISTRY_PROXY_'))).toEqual([
      { name: 'REGISTRY_PROXY_USERNAME', valueFrom: { secretKeyRef: { name: 'main-registry-http', key: 'proxy-username' } } },
      { name: 'REGISTRY_PROXY_PASSWORD', valueFrom: { secretKeyRef: { name: 'main-registry-http', key: 'proxy-password' } } },
    ]);
    expect(parse(buildRegistryConfig(specWith(), { realm: 'main', readOnly: false }))).not.toHaveProperty('proxy');
  });

  it('the credentials Secret must exist; its username and password, or its .dockerconfigjson entry for the upstream, are the credentials', () => {
    const spec = mirror({ credentialsSecret: 'hub-creds' }, { auth: { htpasswdSecret: 'users' } });
    const users = { metadata: { name: 'users' }, data: { htpasswd: 'eA==' } };
    expect(findSpecProblems(spec, (name) => (name === 'users' ? users : undefined)).map((p) => p.message)).toEqual([
      expect.stringMatching(/^Secret "hub-creds" named by spec.proxy.credentialsSecret does not exist; create it: kubectl create secret generic hub-creds --from-literal=username=USER/),
    ]);
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    expect(proxyCredentialsOf({ metadata: { name: 'hub-creds' }, data: { username: b64('u'), password: b64('p') } }, HUB)).toEqual({ username: 'u', password: 'p' });
    expect(proxyCredentialsOf({ metadata: { name: 'hub-creds' }, data: { username: b64('u') } }, HUB)).toEqual({ problem: expect.stringMatching(/^Secret "hub-creds" \(spec.proxy.credentialsSecret\) needs the keys username and password, or a .dockerconfigjson/) });
    const dockerConfig = (auths: Record<string, unknown>) => ({ metadata: { name: 'hub-creds' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) } });
    expect(proxyCredentialsOf(dockerConfig({ 'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') } }), HUB)).toEqual({ username: 'hubuser', password: 'hubpass' });
    expect(proxyCredentialsOf(dockerConfig({ 'quay.io': { auth: b64('q:p') } }), HUB)).toEqual({ problem: expect.stringContaining('has no entry for registry-1.docker.io in .dockerconfigjson') });
  });

  it('problems that depend on the image and the admin: ttl on 2.8, credentials on an anonymous mirror, an upstream outside the allow list', () => {
    const strict = { anonymousMirrorsWithCredentials: false };
    expect(mirrorProblems(mirror({ ttl: '72h' }, { image: 'registry:2.8.3' }), strict).map((p) => p.message)).toEqual([
      'spec.proxy.ttl needs distribution 3.x: registry:2.8.3 always keeps cached content 168h. Remove ttl, or set spec.image to registry:3.1.2 or later.',
    ]);
    expect(mirrorProblems(mirror({ ttl: '72h' }), strict)).toEqual([]);
    expect(mirrorProblems(mirror({ credentialsSecret: 'hub' }), strict).map((p) => p.message)).toEqual([expect.stringMatching(/without spec.auth would let every pod in the cluster pull what the upstream account "hub" can.*registries.anonymousMirrorsWithCredentials: true/)]);
    expect(mirrorProblems(mirror({ credentialsSecret: 'hub' }), { anonymousMirrorsWithCredentials: true })).toEqual([]);
    expect(mirrorProblems(mirror({ credentialsSecret: 'hub' }, { auth: { htpasswdSecret: 'users' } }), strict)).toEqual([]);
    const refuseHost = (host: string) => (host === 'registry-1.docker.io' ? 'host registry-1.docker.io is not in externalRegistries.allowedHosts' : undefined);
    expect(mirrorProblems(mirror({}), { ...strict, refuseHost }).map((p) => p.message)).toEqual([`spec.proxy.remoteURL ${HUB}: host registry-1.docker.io is not in externalRegistries.allowedHosts.`]);
    expect(mirrorProblems(specWith(), strict)).toEqual([]);
  });
});
