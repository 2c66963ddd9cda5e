import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, MEDIA_TYPES, pushImage, pushIndex, type PushedImage } from '../../harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../../harness/registry.js';

/**
 * Behaviour of Debian's distribution 2.8.2 that dockmaster's client, retention and GC code rely on
 * or work around. Each test is named after the quirk, so a registry upgrade that changes one fails
 * here first, with a name that says which assumption broke.
 */

interface Answer {
  status: number;
  contentType: string | null;
  digest: string | null;
  link: string | null;
  text: string;
}

async function call(url: string, method = 'GET', accept?: string): Promise<Answer> {
  const res = await fetch(url, { method, headers: accept ? { accept } : {} });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), digest: res.headers.get('docker-content-digest'), link: res.headers.get('link'), text };
}

describe('distribution 2.8.2 quirks', () => {
  let registry: RunningRegistry;
  let image: PushedImage;
  let dockerImage: PushedImage;
  let ociIndex: PushedImage & { children: PushedImage[] };
  let dockerList: PushedImage & { children: PushedImage[] };
  const platforms = [{ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'amd64' }];

  beforeAll(async () => {
    registry = await startRegistry();
    image = await pushImage(registry, 'app', { tags: ['v3', 'v1', 'v2'], seed: 'quirk-oci' });
    dockerImage = await pushImage(registry, 'docker/app', { tags: ['v1'], format: 'docker', seed: 'quirk-docker' });
    ociIndex = await pushIndex(registry, 'multi', { tags: ['oci'], platforms, seed: 'quirk-index' });
    dockerList = await pushIndex(registry, 'multi', { tags: ['docker'], format: 'docker', platforms, seed: 'quirk-list' });
    await pushImage(registry, 'zzz/other', { tags: ['v1'], seed: 'quirk-other' });
  });
  afterAll(async () => {
    await registry.stop();
  });

  it('tags/list ignores n: ?n=1 returns every tag and no Link header', async () => {
    const answer = await call(`${registry.url}/v2/app/tags/list?n=1`);
    expect(answer.status).toBe(200);
    expect(answer.link).toBeNull();
    expect((JSON.parse(answer.text) as { tags: string[] }).tags.sort()).toEqual(['v1', 'v2', 'v3']);
  });

  it('_catalog honours n and paginates with a Link header (unlike tags/list)', async () => {
    const answer = await call(`${registry.url}/v2/_catalog?n=1`);
    expect(JSON.parse(answer.text)).toEqual({ repositories: ['app'] });
    expect(answer.link).toBe('</v2/_catalog?last=app&n=1>; rel="next"');
  });

  it('manifest HEAD of an OCI index without the index media type in Accept answers 404', async () => {
    for (const accept of [undefined, MEDIA_TYPES.oci.manifest, `${MEDIA_TYPES.docker.manifest}, ${MEDIA_TYPES.docker.index}`]) {
      expect((await call(`${registry.url}/v2/multi/manifests/oci`, 'HEAD', accept)).status).toBe(404);
      expect((await call(`${registry.url}/v2/multi/manifests/${ociIndex.digest}`, 'HEAD', accept)).status).toBe(404);
    }
    const get = await call(`${registry.url}/v2/multi/manifests/oci`, 'GET', MEDIA_TYPES.oci.manifest);
    expect(get.text).toContain('OCI index found, but accept header does not support OCI indexes');
    const withIndex = await call(`${registry.url}/v2/multi/manifests/oci`, 'HEAD', MEDIA_TYPES.oci.index);
    expect(withIndex).toMatchObject({ status: 200, contentType: MEDIA_TYPES.oci.index, digest: ociIndex.digest });
  });

  it('OCI image manifest GET without the OCI manifest type in Accept answers 404', async () => {
    expect((await call(`${registry.url}/v2/app/manifests/v1`, 'GET')).status).toBe(404);
    expect((await call(`${registry.url}/v2/app/manifests/v1`, 'GET', MEDIA_TYPES.docker.manifest)).status).toBe(404);
    expect((await call(`${registry.url}/v2/app/manifests/v1`, 'GET', MEDIA_TYPES.oci.manifest)).digest).toBe(image.digest);
  });

  it('Docker v2 manifest GET without any Accept answers 400 MANIFEST_INVALID (schema1 down-conversion fails)', async () => {
    const answer = await call(`${registry.url}/v2/docker/app/manifests/v1`, 'GET');
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('MANIFEST_INVALID');
    expect((await call(`${registry.url}/v2/docker/app/manifests/v1`, 'GET', MEDIA_TYPES.docker.manifest)).digest).toBe(dockerImage.digest);
  });

  it('Docker manifest list requested with only the v2 manifest type in Accept answers with the linux/amd64 child instead', async () => {
    // Dangerous for a deleter: the digest header then names the child, not the list the tag points at.
    const amd64 = dockerList.children[1]!;
    const answer = await call(`${registry.url}/v2/multi/manifests/docker`, 'GET', MEDIA_TYPES.docker.manifest);
    expect(answer).toMatchObject({ status: 200, contentType: MEDIA_TYPES.docker.manifest, digest: amd64.digest });
    expect(digestOf(Buffer.from(answer.text))).toBe(amd64.digest);
    expect((await call(`${registry.url}/v2/multi/manifests/docker`, 'HEAD', MEDIA_TYPES.docker.index)).digest).toBe(dockerList.digest);
  });

  it('read-only mode answers 405 text/plain "Method not allowed" to uploads, manifest PUT and DELETE, while reads work', async () => {
    const readOnly = await startRegistry();
    try {
      const pushed = await pushImage(readOnly, 'ro/app', { tags: ['v1'], seed: 'ro' });
      await readOnly.restart({ readOnly: true });
      const upload = await call(`${readOnly.url}/v2/ro/app/blobs/uploads/`, 'POST');
      expect(upload).toMatchObject({ status: 405, contentType: 'text/plain; charset=utf-8', text: 'Method not allowed\n' });
      expect((await call(`${readOnly.url}/v2/ro/app/manifests/${pushed.digest}`, 'DELETE')).status).toBe(405);
      expect((await call(`${readOnly.url}/v2/ro/app/blobs/${pushed.configDigest}`, 'DELETE')).status).toBe(405);
      const put = await fetch(`${readOnly.url}/v2/ro/app/manifests/v2`, { method: 'PUT', headers: { 'content-type': pushed.mediaType }, body: '{}' });
      expect(put.status).toBe(405);
      await put.arrayBuffer();
      const get = await call(`${readOnly.url}/v2/ro/app/manifests/v1`, 'GET', pushed.mediaType);
      expect(get).toMatchObject({ status: 200, digest: pushed.digest });
      expect((await call(`${readOnly.url}/v2/ro/app/tags/list`)).status).toBe(200);
    } finally {
      await readOnly.stop();
    }
  });

  it('with deletes disabled, manifest DELETE answers 405 with the JSON error code UNSUPPORTED', async () => {
    const noDelete = await startRegistry({ deleteEnabled: false });
    try {
      const pushed = await pushImage(noDelete, 'app', { tags: ['v1'], seed: 'nodelete' });
      const answer = await call(`${noDelete.url}/v2/app/manifests/${pushed.digest}`, 'DELETE');
      expect(answer.status).toBe(405);
      expect(JSON.parse(answer.text)).toEqual({ errors: [{ code: 'UNSUPPORTED', message: 'The operation is unsupported.' }] });
    } finally {
      await noDelete.stop();
    }
  });
});
