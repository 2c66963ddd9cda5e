import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_TYPES, pushImage, pushIndex } from '../../harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../../harness/registry.js';
import { startTokenIssuer, type TokenIssuer } from '../../harness/token-issuer.js';

/**
 * skopeo, an independent client, against harness registries and the harness token issuer: what
 * it copies keeps its digest, and what it inspects is what the registry's Docker-Content-Digest says.
 */

const run = promisify(execFile);
// --insecure-policy: do not depend on /etc/containers/policy.json being present on the machine.
const skopeo = async (...args: string[]): Promise<string> => (await run('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', timeout: 60_000 })).stdout;
const PLAIN = ['--src-tls-verify=false', '--dest-tls-verify=false'];
const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

async function servedDigest(registry: RunningRegistry, repository: string, reference: string, accept: string, auth?: string): Promise<string | null> {
  const dispatcher = new Agent({ connect: registry.caPem ? { ca: registry.caPem } : {} });
  try {
    const res = await fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, { method: 'HEAD', headers: { accept, ...(auth ? { authorization: auth } : {}) }, dispatcher });
    return res.headers.get('docker-content-digest');
  } finally {
    await dispatcher.close();
  }
}

describe('skopeo against the harness', () => {
  let source: RunningRegistry;
  let target: RunningRegistry;
  let workDir: string;
  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'dockmaster-skopeo-'));
    [source, target] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { alice: 'pw' } })]);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await rm(workDir, { recursive: true, force: true });
  });

  it.each(['oci', 'docker'] as const)('copies a %s image between registries keeping its digest; inspect --raw and inspect agree with Docker-Content-Digest', async (format) => {
    const pushed = await pushImage(source, `src/${format}`, { tags: ['v1'], format, seed: `skopeo-${format}`, created: '2022-02-02T02:02:02Z' });
    await skopeo('copy', ...PLAIN, '--dest-creds', 'alice:pw', `docker://${source.host}/src/${format}:v1`, `docker://${target.host}/copied/${format}:v1`);
    const served = await servedDigest(target, `copied/${format}`, 'v1', pushed.mediaType, `Basic ${Buffer.from('alice:pw').toString('base64')}`);
    expect(served).toBe(pushed.digest);

    const raw = await skopeo('inspect', '--tls-verify=false', '--creds', 'alice:pw', '--raw', `docker://${target.host}/copied/${format}:v1`);
    expect(sha256(raw)).toBe(served);
    const inspected = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--creds', 'alice:pw', `docker://${target.host}/copied/${format}:v1`)) as Record<string, unknown>;
    expect(inspected).toMatchObject({ Digest: served, Architecture: 'amd64', Os: 'linux', Created: '2022-02-02T02:02:02Z', RepoTags: ['v1'] });
  });

  it('copies a multi-arch index with --all, children and all, through an OCI layout folder', async () => {
    const platforms = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }];
    const index = await pushIndex(source, 'src/multi', { tags: ['latest'], platforms, seed: 'skopeo-index' });
    const layout = path.join(workDir, 'layout');
    await skopeo('copy', '--all', '--src-tls-verify=false', `docker://${source.host}/src/multi:latest`, `oci:${layout}:latest`);
    await skopeo('copy', '--all', '--dest-tls-verify=false', '--dest-creds', 'alice:pw', `oci:${layout}:latest`, `docker://${target.host}/copied/multi:latest`);
    const auth = `Basic ${Buffer.from('alice:pw').toString('base64')}`;
    expect(await servedDigest(target, 'copied/multi', 'latest', MEDIA_TYPES.oci.index, auth)).toBe(index.digest);
    for (const child of index.children) expect(await servedDigest(target, 'copied/multi', child.digest, MEDIA_TYPES.oci.manifest, auth)).toBe(child.digest);
    const tags = JSON.parse(await skopeo('list-tags', '--tls-verify=false', '--creds', 'alice:pw', `docker://${target.host}/copied/multi`)) as { Tags: string[] };
    expect(tags.Tags).toEqual(['latest']);
  });
});

describe('skopeo with TLS and the token issuer', () => {
  let issuer: TokenIssuer;
  let registry: RunningRegistry;
  let certDir: string;
  beforeAll(async () => {
    issuer = await startTokenIssuer({ users: { bob: 'secret' } });
    registry = await startRegistry({ tls: true, tokenAuth: issuer });
    certDir = await mkdtemp(path.join(tmpdir(), 'dockmaster-skopeo-certs-'));
    // containers/image reads *.crt in a cert dir as extra CAs.
    await writeFile(path.join(certDir, 'ca.crt'), registry.caPem!);
  });
  afterAll(async () => {
    await registry?.stop();
    await issuer?.stop();
    await rm(certDir, { recursive: true, force: true });
  });

  it('skopeo verifies the harness CA and gets its token from the harness issuer', async () => {
    const auth = { username: 'bob', password: 'secret' };
    const pushed = await pushImage(registry, 'secure/app', { tags: ['v1'], seed: 'skopeo-token', auth });
    const before = issuer.requestCount;
    const raw = await skopeo('inspect', '--cert-dir', certDir, '--creds', 'bob:secret', '--raw', `docker://${registry.host}/secure/app:v1`);
    expect(sha256(raw)).toBe(pushed.digest);
    expect(issuer.requestCount).toBeGreaterThan(before);
    expect(issuer.requests.at(-1)).toMatchObject({ username: 'bob', status: 200, scopes: ['repository:secure/app:pull'] });
    await expect(skopeo('inspect', '--creds', 'bob:secret', '--raw', `docker://${registry.host}/secure/app:v1`)).rejects.toThrow(/certificate/);
    await expect(skopeo('inspect', '--cert-dir', certDir, '--creds', 'bob:wrong', '--raw', `docker://${registry.host}/secure/app:v1`)).rejects.toThrow();
  });
});
