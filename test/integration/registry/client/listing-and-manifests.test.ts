import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage, pushIndex } from '../../../harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../../../harness/registry.js';
import {
  digestOf,
  MEDIA_TYPES,
  REGISTRY_ERROR_CODES,
  RegistryApiError,
  RegistryClientConfigError,
  RegistryV2Client,
  type RegistryRequestEvent,
} from '../../../../src/registry/client/index.js';

const run = promisify(execFile);

async function rejection(promise: Promise<unknown>): Promise<RegistryApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RegistryApiError) return error;
    throw error;
  }
  throw new Error('expected a RegistryApiError');
}

describe('RegistryV2Client against distribution 2.8.2', () => {
  let registry: RunningRegistry;
  let client: RegistryV2Client;
  const events: RegistryRequestEvent[] = [];
  const requestsTo = (fragment: string): RegistryRequestEvent[] => events.filter((e) => e.url.includes(fragment));

  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryV2Client({ url: registry.url, allowPlainHttp: true, onRequest: (e) => events.push(e) });
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('pings and reports the API version header', async () => {
    expect(await client.ping()).toEqual({ apiVersion: 'registry/2.0' });
  });

  it('refuses plain HTTP unless allowed, saying how to allow it', () => {
    expect(() => new RegistryV2Client({ url: registry.url })).toThrow(RegistryClientConfigError);
    expect(() => new RegistryV2Client({ url: registry.url })).toThrow(/allowPlainHttp: true/);
  });

  it('lists the catalog page by page: 2.8.2 honours n on _catalog and sends a Link until the last page', async () => {
    const names = ['cat/a', 'cat/b', 'cat/c', 'cat/d', 'cat/e', 'cat/f', 'cat/g'];
    for (const name of names) await pushImage(registry, name, { tags: ['v1'], seed: name });
    events.length = 0;
    const listed = await client.listRepositories({ pageSize: 2 });
    expect(listed.filter((r) => r.startsWith('cat/'))).toEqual(names);
    const pages = requestsTo('/v2/_catalog');
    // Every page but the last is full and carries a Link; the last (short) page has none.
    expect(pages).toHaveLength(Math.ceil(listed.length / 2));
    events.length = 0;
    expect(await client.listRepositories()).toEqual(listed);
    expect(requestsTo('/v2/_catalog')).toHaveLength(1);
  });

  it('gets every tag: without n in one request; with n, 2.8.2 ignores it (no Link) and 3.x pages with Link', async () => {
    const tags = Array.from({ length: 40 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    await pushImage(registry, 'many/tags', { tags, seed: 'many' });
    events.length = 0;
    expect((await client.listTags('many/tags')).sort()).toEqual(tags);
    expect(requestsTo('/tags/list')).toHaveLength(1);
    expect((await client.listTags('many/tags', { pageSize: 5 })).sort()).toEqual(tags);
    // 3.x: eight full pages, the eighth still with a Link, then an empty ninth.
    expect(requestsTo('/tags/list')).toHaveLength(registry.version === '2.8.2' ? 2 : 1 + 40 / 5 + 1);
  });

  it('reports an unknown repository as not found with the registry code', async () => {
    const error = await rejection(client.listTags('no/such/repo'));
    expect(error).toMatchObject({ code: REGISTRY_ERROR_CODES.notFound, registryCode: 'NAME_UNKNOWN', status: 404 });
  });

  it.each(['oci', 'docker'] as const)('HEADs and GETs a %s image manifest with a verified digest', async (format) => {
    const pushed = await pushImage(registry, `fmt/${format}`, { tags: ['v1'], format, seed: format });
    const head = await client.headManifest(`fmt/${format}`, 'v1');
    expect(head).toEqual({ digest: pushed.digest, mediaType: pushed.mediaType, size: pushed.size });
    const got = await client.getManifest(`fmt/${format}`, 'v1');
    expect(got.digest).toBe(pushed.digest);
    expect(digestOf(got.bytes)).toBe(pushed.digest);
    expect(got.kind).toBe('image');
    if (got.kind === 'image') expect(got.manifest.config.digest).toBe(pushed.configDigest);
    expect(got.mediaType).toBe(format === 'oci' ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest);
    const byDigest = await client.getManifest(`fmt/${format}`, pushed.digest);
    expect(byDigest.digest).toBe(pushed.digest);
  });

  it.each(['oci', 'docker'] as const)('HEADs and GETs a %s index and its untagged children by digest', async (format) => {
    const repo = `multi/${format}`;
    const index = await pushIndex(registry, repo, {
      tags: ['v1'],
      format,
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      seed: `idx-${format}`,
    });
    const head = await client.headManifest(repo, 'v1');
    expect(head.digest).toBe(index.digest);
    expect(head.mediaType).toBe(format === 'oci' ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.dockerManifestList);
    const got = await client.getManifest(repo, 'v1');
    expect(got.kind).toBe('index');
    if (got.kind !== 'index') return;
    expect(got.manifest.manifests.map((m) => m.digest)).toEqual(index.children.map((c) => c.digest));
    expect(got.manifest.manifests[1]?.platform).toMatchObject({ architecture: 'arm64', variant: 'v8' });
    for (const child of index.children) {
      expect((await client.headManifest(repo, child.digest)).digest).toBe(child.digest);
    }
  });

  it('fetches an image config once per digest and caches it', async () => {
    const pushed = await pushImage(registry, 'cfg/app', { tags: ['a', 'b'], created: '2023-04-05T06:07:08Z', seed: 'cfg' });
    events.length = 0;
    const first = await client.getImageConfig('cfg/app', pushed.configDigest!);
    const again = await Promise.all([client.getImageConfig('cfg/app', pushed.configDigest!), client.getImageConfig('cfg/app', pushed.configDigest!)]);
    expect(first).toMatchObject({ created: '2023-04-05T06:07:08Z', os: 'linux', architecture: 'amd64' });
    expect(again).toEqual([first, first]);
    expect(requestsTo('/blobs/')).toHaveLength(1);
  });

  it('reads a config without created (reproducible builds) as created: undefined', async () => {
    const pushed = await pushImage(registry, 'cfg/repro', { tags: ['a'], created: null, seed: 'repro' });
    expect((await client.getImageConfig('cfg/repro', pushed.configDigest!)).created).toBeUndefined();
  });

  it('deletes by digest, which removes every tag on that digest', async () => {
    const pushed = await pushImage(registry, 'del/app', { tags: ['a', 'b', 'c'], seed: 'del' });
    const other = await pushImage(registry, 'del/app', { tags: ['keep'], seed: 'del-keep' });
    await client.deleteManifest('del/app', pushed.digest);
    expect(await client.listTags('del/app')).toEqual(['keep']);
    const error = await rejection(client.headManifest('del/app', 'a'));
    expect(error.code).toBe(REGISTRY_ERROR_CODES.notFound);
    expect((await client.headManifest('del/app', 'keep')).digest).toBe(other.digest);
    const again = await rejection(client.deleteManifest('del/app', pushed.digest));
    expect(again).toMatchObject({ code: REGISTRY_ERROR_CODES.notFound, registryCode: 'MANIFEST_UNKNOWN' });
  });

  it('refuses to DELETE by tag without sending anything', async () => {
    events.length = 0;
    const error = await rejection(client.deleteManifest('del/app', 'keep'));
    expect(error.code).toBe(REGISTRY_ERROR_CODES.badRequest);
    expect(error.message).toMatch(/tags are refused/);
    expect(events).toHaveLength(0);
  });

  it('sees the same digest as skopeo, an independent client', async () => {
    const pushed = await pushImage(registry, 'skopeo/app', { tags: ['v1'], seed: 'skopeo' });
    const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--format', '{{.Digest}}', `docker://${registry.host}/skopeo/app:v1`]);
    expect(stdout.trim()).toBe(pushed.digest);
    expect((await client.headManifest('skopeo/app', 'v1')).digest).toBe(stdout.trim());
  });
});
