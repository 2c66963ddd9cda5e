import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_TYPES, pushImage, pushIndex, tagManifest, type PushedImage } from '../../harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../../harness/registry.js';
import { RegistryV2Client } from '../../../src/registry/client/index.js';

/**
 * Behaviour of distribution 3.1.2 (built from the Go module proxy) that dockmaster relies on or
 * works around, beside distribution-quirks.test.ts for Debian's 2.8.2. Runs in the registry-3.1.2
 * project only. Each test names the behaviour, so an upgrade that changes one fails here first.
 */

async function call(url: string, method = 'GET', accept?: string): Promise<{ status: number; link: string | null; text: string; digest: string | null }> {
  const res = await fetch(url, { method, headers: accept ? { accept } : {} });
  return { status: res.status, link: res.headers.get('link'), text: await res.text(), digest: res.headers.get('docker-content-digest') };
}

describe('distribution 3.1.2 quirks', () => {
  let registry: RunningRegistry;
  let image: PushedImage;
  let index: PushedImage & { children: PushedImage[] };
  const TAGS = 1005;

  beforeAll(async () => {
    registry = await startRegistry({ version: '3.1.2' });
    image = await pushImage(registry, 'app', { tags: ['v1'], seed: 'q3-app' });
    // More tags than the default tags.maxtags (1000), all on one image.
    for (let i = 0; i < TAGS - 1; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, TAGS - 1 - i) }, (_, k) => tagManifest(registry, 'app', image.digest, `t${String(i + k).padStart(4, '0')}`)));
    }
    index = await pushIndex(registry, 'multi', { tags: ['oci'], platforms: [{ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'amd64' }], seed: 'q3-index' });
  }, 120_000);
  afterAll(async () => registry?.stop());

  it('runs 3.1.2', () => {
    expect(registry.version).toBe('3.1.2');
  });

  it('tags/list without n returns every tag, past maxtags, in one answer without Link', async () => {
    const answer = await call(`${registry.url}/v2/app/tags/list`);
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.text) as { tags: string[] }).tags).toHaveLength(TAGS);
    expect(answer.link).toBeNull();
  });

  it('tags/list with n pages with a Link header, and clamps n above maxtags (3.1.0 answered 400 there)', async () => {
    const first = await call(`${registry.url}/v2/app/tags/list?n=2`);
    expect((JSON.parse(first.text) as { tags: string[] }).tags).toHaveLength(2);
    expect(first.link).toMatch(/rel="next"/);
    const clamped = await call(`${registry.url}/v2/app/tags/list?n=5000`);
    expect(clamped.status).toBe(200);
    expect((JSON.parse(clamped.text) as { tags: string[] }).tags).toHaveLength(1000);
    expect(clamped.link).toMatch(/rel="next"/);
  });

  it('HEAD of an OCI index answers with the index even when Accept names only the image media type (2.8.2 answers 404)', async () => {
    expect((await call(`${registry.url}/v2/multi/manifests/oci`, 'HEAD', MEDIA_TYPES.oci.manifest)).digest).toBe(index.digest);
    expect((await call(`${registry.url}/v2/multi/manifests/oci`, 'HEAD', MEDIA_TYPES.oci.index)).digest).toBe(index.digest);
  });

  it('DELETE of a tag untags it (202); the manifest stays, reachable by digest and its other tags', async () => {
    const del = await call(`${registry.url}/v2/app/manifests/t0000`, 'DELETE');
    expect(del.status).toBe(202);
    expect((await call(`${registry.url}/v2/app/manifests/t0000`, 'HEAD', MEDIA_TYPES.oci.manifest)).status).toBe(404);
    expect((await call(`${registry.url}/v2/app/manifests/${image.digest}`, 'HEAD', MEDIA_TYPES.oci.manifest)).status).toBe(200);
    expect((await call(`${registry.url}/v2/app/manifests/v1`, 'HEAD', MEDIA_TYPES.oci.manifest)).digest).toBe(image.digest);
  });

  it('_catalog with n above catalog.maxentries answers 400 PAGINATION_NUMBER_INVALID (never clamped, unlike tags/list); the client then lets the registry choose the page size', async () => {
    const small = await startRegistry({ version: '3.1.2', extraConfig: { catalog: { maxentries: 3 } } });
    try {
      for (let i = 0; i < 5; i++) await pushImage(small, `repo${i}`, { tags: ['v1'], seed: `q3-catalog-${i}` });
      const refused = await call(`${small.url}/v2/_catalog?n=1000`);
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.text)).toMatchObject({ errors: [{ code: 'PAGINATION_NUMBER_INVALID', message: 'invalid number of results requested', detail: { n: 1000 } }] });
      const client = new RegistryV2Client({ url: small.url, allowPlainHttp: true });
      try {
        expect((await client.listRepositories()).sort()).toEqual(['repo0', 'repo1', 'repo2', 'repo3', 'repo4']);
      } finally {
        await client.close();
      }
    } finally {
      await small.stop();
    }
  });

  it('has no referrers API', async () => {
    expect((await call(`${registry.url}/v2/app/referrers/${image.digest}`)).status).toBe(404);
  });
});
