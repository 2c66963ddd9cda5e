import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentMatchesDigest, digestOf, isVerifiableDigest } from '../../../../src/registry/client/digest.js';
import { REGISTRY_ERROR_CODES, RegistryApiError } from '../../../../src/registry/client/errors.js';
import { parseManifestBody } from '../../../../src/registry/client/manifest-parsing.js';
import { MEDIA_TYPES } from '../../../../src/registry/client/media-types.js';

const context = { method: 'GET', url: 'https://r/v2/app/manifests/v1' };
const sha = 'sha256:' + 'a'.repeat(64);
const response = (body: unknown) => ({
  status: 200,
  headers: {},
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});
const image = { schemaVersion: 2, config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha, size: 10 }, layers: [] };
const index = { schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: sha, size: 5, platform: { os: 'linux', architecture: 'arm64' } }] };

function thrown(fn: () => unknown): RegistryApiError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RegistryApiError) return error;
  }
  throw new Error('expected RegistryApiError');
}

describe('digests', () => {
  it('computes sha256 and sha512 digests like the registry', () => {
    const body = Buffer.from('{"schemaVersion":2}');
    expect(digestOf(body)).toBe('sha256:' + createHash('sha256').update(body).digest('hex'));
    expect(digestOf(body, 'sha512:x')).toBe('sha512:' + createHash('sha512').update(body).digest('hex'));
    expect(contentMatchesDigest(body, digestOf(body))).toBe(true);
    expect(contentMatchesDigest(Buffer.from('{"schemaVersion": 2}'), digestOf(body))).toBe(false);
  });

  it('recognises only verifiable digests', () => {
    expect(isVerifiableDigest(sha)).toBe(true);
    expect(isVerifiableDigest('sha512:' + 'b'.repeat(128))).toBe(true);
    expect(isVerifiableDigest('sha256:' + 'A'.repeat(64))).toBe(false);
    expect(isVerifiableDigest('sha256:abc')).toBe(false);
    expect(isVerifiableDigest('md5:' + 'a'.repeat(32))).toBe(false);
    expect(isVerifiableDigest('latest')).toBe(false);
  });
});

describe('parseManifestBody', () => {
  it('parses images and indexes by content type', () => {
    const parsedImage = parseManifestBody(context, response(image), MEDIA_TYPES.ociManifest);
    expect(parsedImage.kind).toBe('image');
    const parsedIndex = parseManifestBody(context, response(index), MEDIA_TYPES.dockerManifestList);
    expect(parsedIndex).toMatchObject({ kind: 'index', mediaType: MEDIA_TYPES.dockerManifestList });
    if (parsedIndex.kind === 'index') expect(parsedIndex.manifest.manifests[0]?.platform?.architecture).toBe('arm64');
  });

  it("falls back to the body's mediaType when the content type is generic", () => {
    const parsed = parseManifestBody(context, response({ ...image, mediaType: MEDIA_TYPES.dockerManifest }), 'application/json');
    expect(parsed).toMatchObject({ kind: 'image', mediaType: MEDIA_TYPES.dockerManifest });
  });

  it('names what is wrong in a malformed manifest', () => {
    const error = thrown(() => parseManifestBody(context, response({ schemaVersion: 2, config: { digest: 'nope' }, layers: 'x' }), MEDIA_TYPES.ociManifest));
    expect(error.code).toBe(REGISTRY_ERROR_CODES.invalidResponse);
    expect(error.message).toMatch(/config\.digest: not a digest/);
    expect(error.message).toMatch(/config\.mediaType/);
    expect(error.message).toMatch(/layers/);
  });

  it('rejects an index served as an image manifest, non-JSON and unknown media types', () => {
    expect(thrown(() => parseManifestBody(context, response(index), MEDIA_TYPES.ociManifest)).message).toMatch(/config/);
    expect(thrown(() => parseManifestBody(context, response('<html>'), MEDIA_TYPES.ociIndex)).message).toMatch(/not valid JSON/);
    expect(
      thrown(() => parseManifestBody(context, response(image), 'application/vnd.docker.distribution.manifest.v1+prettyjws')).message,
    ).toMatch(/unsupported manifest media type/);
  });
});
