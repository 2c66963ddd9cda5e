import { gunzipSync } from 'node:zlib';
import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachedTag, digestOf, MEDIA_TYPES, pushImage, pushIndex, pushSignature, tagManifest } from '../../harness/fixtures.js';
import { FixturePushError } from '../../harness/registry-session.js';
import { startRegistry, type RunningRegistry } from '../../harness/registry.js';

const ACCEPT_ALL = [MEDIA_TYPES.oci.manifest, MEDIA_TYPES.oci.index, MEDIA_TYPES.docker.manifest, MEDIA_TYPES.docker.index].join(', ');

interface Served {
  status: number;
  contentType: string | null;
  digestHeader: string | null;
  bytes: Buffer;
}

describe('fixtures push through the real v2 API and read back byte for byte', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry.stop();
  });

  const get = async (path: string, accept = ACCEPT_ALL): Promise<Served> => {
    const res = await fetch(`${registry.url}/v2/${path}`, { headers: { accept } });
    return { status: res.status, contentType: res.headers.get('content-type'), digestHeader: res.headers.get('docker-content-digest'), bytes: Buffer.from(await res.arrayBuffer()) };
  };
  const json = <T>(served: Served): T => JSON.parse(served.bytes.toString('utf8')) as T;
  const tagsOf = async (repository: string): Promise<string[]> => (json<{ tags: string[] | null }>(await get(`${repository}/tags/list`)).tags ?? []).sort();

  it.each(['oci', 'docker'] as const)('%s image: manifest, config and layers are what was pushed', async (format) => {
    const pushed = await pushImage(registry, `fmt/${format}`, { tags: ['v1'], format, seed: `fmt-${format}`, layers: 2, layerSize: 3000, created: '2023-04-05T06:07:08Z', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } });
    expect(pushed.mediaType).toBe(MEDIA_TYPES[format].manifest);
    const manifest = await get(`fmt/${format}/manifests/v1`);
    expect(manifest.status).toBe(200);
    expect(manifest.contentType).toBe(MEDIA_TYPES[format].manifest);
    expect(manifest.digestHeader).toBe(pushed.digest);
    expect(digestOf(manifest.bytes)).toBe(pushed.digest);
    expect(manifest.bytes.length).toBe(pushed.size);
    const body = json<{ config: { mediaType: string; digest: string }; layers: Array<{ mediaType: string; digest: string }> }>(manifest);
    expect(body.config).toMatchObject({ mediaType: MEDIA_TYPES[format].config, digest: pushed.configDigest });
    expect(body.layers.map((l) => l.mediaType)).toEqual([MEDIA_TYPES[format].layer, MEDIA_TYPES[format].layer]);
    expect(body.layers.map((l) => l.digest)).toEqual(pushed.layerDigests);

    const configBlob = await get(`fmt/${format}/blobs/${pushed.configDigest}`, '*/*');
    expect(digestOf(configBlob.bytes)).toBe(pushed.configDigest);
    const config = json<{ created: string; os: string; architecture: string; variant: string; rootfs: { diff_ids: string[] } }>(configBlob);
    expect(config).toMatchObject({ created: '2023-04-05T06:07:08Z', os: 'linux', architecture: 'arm', variant: 'v7' });
    for (const [i, layerDigest] of pushed.layerDigests.entries()) {
      const layer = await get(`fmt/${format}/blobs/${layerDigest}`, '*/*');
      expect(digestOf(layer.bytes)).toBe(layerDigest);
      // A real tar.gz: its uncompressed digest is the config's diff_id.
      expect(digestOf(gunzipSync(layer.bytes))).toBe(config.rootfs.diff_ids[i]);
    }
  });

  it('a seed makes content deterministic; no seed makes every push new', async () => {
    const a = await pushImage(registry, 'seeded', { seed: 'same' });
    const b = await pushImage(registry, 'seeded', { seed: 'same' });
    const c = await pushImage(registry, 'seeded');
    expect(b.digest).toBe(a.digest);
    expect(c.digest).not.toBe(a.digest);
    // Untagged pushes go by digest.
    expect((await get(`seeded/manifests/${c.digest}`)).digestHeader).toBe(c.digest);
  });

  it('created: null leaves `created` out of the config (reproducible builds)', async () => {
    const pushed = await pushImage(registry, 'repro', { tags: ['v1'], created: null, seed: 'repro' });
    const config = json<Record<string, unknown>>(await get(`repro/blobs/${pushed.configDigest}`, '*/*'));
    expect(config).not.toHaveProperty('created');
    expect(config).toMatchObject({ os: 'linux', architecture: 'amd64' });
  });

  it('several tags on one digest, plus tagManifest adding one later', async () => {
    const pushed = await pushImage(registry, 'tags', { tags: ['a', 'b', 'c'], seed: 'tags' });
    await tagManifest(registry, 'tags', pushed.digest, 'd');
    expect(await tagsOf('tags')).toEqual(['a', 'b', 'c', 'd']);
    for (const tag of ['a', 'b', 'c', 'd']) expect((await get(`tags/manifests/${tag}`)).digestHeader).toBe(pushed.digest);
  });

  it.each(['oci', 'docker'] as const)('%s index: children pushed untagged by digest, in platform order', async (format) => {
    const platforms = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }];
    const index = await pushIndex(registry, `multi/${format}`, { tags: ['latest'], format, platforms, seed: `multi-${format}` });
    expect(index.mediaType).toBe(MEDIA_TYPES[format].index);
    expect(await tagsOf(`multi/${format}`)).toEqual(['latest']);
    const served = await get(`multi/${format}/manifests/latest`);
    expect(served.contentType).toBe(MEDIA_TYPES[format].index);
    expect(served.digestHeader).toBe(index.digest);
    expect(digestOf(served.bytes)).toBe(index.digest);
    const body = json<{ manifests: Array<{ digest: string; mediaType: string; platform: Record<string, string> }> }>(served);
    expect(body.manifests.map((m) => m.digest)).toEqual(index.children.map((c) => c.digest));
    expect(body.manifests.map((m) => m.platform)).toEqual(platforms);
    for (const child of index.children) {
      expect(child.mediaType).toBe(MEDIA_TYPES[format].manifest);
      const got = await get(`multi/${format}/manifests/${child.digest}`);
      expect(digestOf(got.bytes)).toBe(child.digest);
    }
  });

  it('cosign-style .sig/.att/.sbom tags: OCI manifests whose payload names the subject', async () => {
    const subject = await pushImage(registry, 'signed', { tags: ['v1'], seed: 'signed' });
    const hex = subject.digest.slice('sha256:'.length);
    const layerTypes = { sig: 'application/vnd.dev.cosign.simplesigning.v1+json', att: 'application/vnd.dsse.envelope.v1+json', sbom: 'text/spdx+json' };
    for (const kind of ['sig', 'att', 'sbom'] as const) {
      const pushed = await pushSignature(registry, 'signed', subject.digest, kind);
      expect(attachedTag(subject.digest, kind)).toBe(`sha256-${hex}.${kind}`);
      const served = await get(`signed/manifests/sha256-${hex}.${kind}`);
      expect(served.digestHeader).toBe(pushed.digest);
      expect(served.contentType).toBe(MEDIA_TYPES.oci.manifest);
      const manifest = json<{ config: { mediaType: string }; layers: Array<{ mediaType: string; digest: string }> }>(served);
      expect(manifest.config.mediaType).toBe(MEDIA_TYPES.oci.config);
      expect(manifest.layers[0]!.mediaType).toBe(layerTypes[kind]);
      const payload = (await get(`signed/blobs/${manifest.layers[0]!.digest}`, '*/*')).bytes.toString('utf8');
      const decoded = kind === 'att' ? Buffer.from((JSON.parse(payload) as { payload: string }).payload, 'base64').toString('utf8') : payload;
      expect(decoded).toContain(hex);
    }
    expect(await tagsOf('signed')).toEqual([`sha256-${hex}.att`, `sha256-${hex}.sbom`, `sha256-${hex}.sig`, 'v1']);
  });
});

describe('fixtures with basic auth', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: { alice: 'pw' } });
  });
  afterAll(async () => {
    await registry.stop();
  });

  it('push with credentials; without them the error names the challenge', async () => {
    const auth = { username: 'alice', password: 'pw' };
    const index = await pushIndex(registry, 'private/multi', { tags: ['v1'], platforms: [{ os: 'linux', architecture: 'amd64' }], auth });
    await pushSignature(registry, 'private/multi', index.digest, 'sig', { auth });
    await tagManifest(registry, 'private/multi', index.digest, 'v2', { auth });
    const failure = await pushImage(registry, 'private/app', { tags: ['v1'] }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(FixturePushError);
    expect((failure as Error).message).toMatch(/Basic auth/);
    const wrong = await pushImage(registry, 'private/app', { tags: ['v1'], auth: { username: 'alice', password: 'no' } }).catch((e: unknown) => e);
    expect((wrong as Error).message).toMatch(/answered 401/);
  });
});
