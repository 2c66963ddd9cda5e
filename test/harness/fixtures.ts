import { randomUUID } from 'node:crypto';
import {
  ALL_MANIFEST_MEDIA_TYPES,
  attachedTag,
  buildAttachedManifest,
  buildImage,
  buildIndex,
  DEFAULT_CREATED,
  type AttachedKind,
  type Blob,
  type BuiltManifest,
  type ImageFormat,
  type Platform,
} from './image-content.js';
import { FixturePushError, RegistrySession, type BasicCredentials, type RegistryTarget } from './registry-session.js';

/**
 * Test images pushed through the real v2 API (blob upload POST + PUT, manifest PUT), as the
 * contract in contract.md describes. Content comes from image-content.ts; a `seed` makes it
 * deterministic, without one every push is new content.
 */

export { attachedTag, digestOf, MEDIA_TYPES } from './image-content.js';
export type { RegistryTarget, BasicCredentials } from './registry-session.js';

export interface PushedImage {
  repository: string;
  digest: string;
  /** The manifest's media type. */
  mediaType: string;
  /** The manifest's length in bytes. */
  size: number;
  configDigest?: string;
  layerDigests: string[];
}

export interface PushImageOptions {
  tags?: string[];
  format?: ImageFormat;
  /** Config `created`; `null` leaves it out. Default 2024-01-01T00:00:00Z (stable digests). */
  created?: string | null;
  platform?: Platform;
  layers?: number;
  layerSize?: number;
  seed?: string;
  auth?: BasicCredentials;
}

export interface PushIndexOptions {
  tags?: string[];
  format?: ImageFormat;
  platforms: Platform[];
  created?: string | null;
  seed?: string;
  auth?: BasicCredentials;
}

const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

export async function pushImage(reg: RegistryTarget, repository: string, opts: PushImageOptions = {}): Promise<PushedImage> {
  const manifest = buildImage({
    format: opts.format ?? 'oci',
    seed: opts.seed ?? randomUUID(),
    created: opts.created === undefined ? DEFAULT_CREATED : opts.created,
    platform: opts.platform ?? DEFAULT_PLATFORM,
    layers: opts.layers ?? 1,
    layerSize: opts.layerSize ?? 512,
  });
  return withSession(reg, opts.auth, (session) => pushBuiltManifest(session, repository, manifest, opts.tags ?? []));
}

/** An index (OCI) or manifest list (Docker) whose per-platform children are pushed untagged, by digest. */
export async function pushIndex(reg: RegistryTarget, repository: string, opts: PushIndexOptions): Promise<PushedImage & { children: PushedImage[] }> {
  const format = opts.format ?? 'oci';
  const seed = opts.seed ?? randomUUID();
  const built = opts.platforms.map((platform) => ({
    platform,
    manifest: buildImage({
      format,
      seed: `${seed}/${platform.os}/${platform.architecture}/${platform.variant ?? ''}`,
      created: opts.created === undefined ? DEFAULT_CREATED : opts.created,
      platform,
      layers: 1,
      layerSize: 512,
    }),
  }));
  const index = buildIndex(format, built);
  return withSession(reg, opts.auth, async (session) => {
    const children: PushedImage[] = [];
    // Children first: distribution refuses an index naming manifests it does not have.
    for (const { manifest } of built) children.push(await pushBuiltManifest(session, repository, manifest, []));
    await putManifest(session, repository, index, opts.tags ?? []);
    return { repository, digest: index.digest, mediaType: index.mediaType, size: index.bytes.length, layerDigests: [], children };
  });
}

/** A cosign-style artifact tagged `sha256-<hex>.<kind>` next to `subjectDigest`. */
export async function pushSignature(
  reg: RegistryTarget,
  repository: string,
  subjectDigest: string,
  kind: AttachedKind,
  opts: { auth?: BasicCredentials; seed?: string } = {},
): Promise<PushedImage> {
  const host = new URL(typeof reg === 'string' ? reg : reg.url).host;
  const manifest = buildAttachedManifest(kind, subjectDigest, `${host}/${repository}`, opts.seed ?? randomUUID());
  return withSession(reg, opts.auth, (session) => pushBuiltManifest(session, repository, manifest, [attachedTag(subjectDigest, kind)]));
}

/** Points `tag` at an existing manifest (GET by digest, PUT the same bytes under the tag). */
export async function tagManifest(reg: RegistryTarget, repository: string, digest: string, tag: string, opts: { auth?: BasicCredentials } = {}): Promise<void> {
  await withSession(reg, opts.auth, async (session) => {
    const got = await session.expect([200], 'GET', `/v2/${repository}/manifests/${digest}`, { headers: { accept: ALL_MANIFEST_MEDIA_TYPES.join(', ') } });
    const mediaType = got.headers.get('content-type') ?? '';
    await putManifest(session, repository, { mediaType, bytes: got.bytes, digest }, [tag]);
  });
}

/** DELETE of a manifest by digest (needs storage.delete.enabled); for tests that set up GC or retention states. */
export async function deleteManifest(reg: RegistryTarget, repository: string, digest: string, opts: { auth?: BasicCredentials } = {}): Promise<void> {
  await withSession(reg, opts.auth, (session) => session.expect([202], 'DELETE', `/v2/${repository}/manifests/${digest}`));
}

async function withSession<T>(reg: RegistryTarget, auth: BasicCredentials | undefined, work: (session: RegistrySession) => Promise<T>): Promise<T> {
  const session = new RegistrySession(reg, auth);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

async function pushBuiltManifest(session: RegistrySession, repository: string, manifest: BuiltManifest, tags: string[]): Promise<PushedImage> {
  for (const blob of [manifest.config, ...manifest.layers]) await uploadBlob(session, repository, blob);
  await putManifest(session, repository, manifest, tags);
  return {
    repository,
    digest: manifest.digest,
    mediaType: manifest.mediaType,
    size: manifest.bytes.length,
    configDigest: manifest.config.digest,
    layerDigests: manifest.layers.map((l) => l.digest),
  };
}

/**
 * Monolithic upload in two requests: 2.8.2 ignores `?digest=` on the POST and opens a session
 * (202 + Location, absolute in 2.8 but resolved against the base in case a proxy makes it relative).
 */
async function uploadBlob(session: RegistrySession, repository: string, blob: Blob): Promise<void> {
  const exists = await session.send('HEAD', `/v2/${repository}/blobs/${blob.digest}`);
  if (exists.status === 200) return;
  const opened = await session.expect([202], 'POST', `/v2/${repository}/blobs/uploads/`);
  const location = opened.headers.get('location');
  if (!location) throw new FixturePushError(`blob upload POST for ${repository} answered without Location`);
  const target = new URL(location, session.baseUrl);
  target.searchParams.set('digest', blob.digest);
  await session.expect([201], 'PUT', target.toString(), {
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.bytes.length) },
    body: blob.bytes,
  });
}

/** PUT under each tag, or by digest when there are none; the registry's digest must be ours. */
async function putManifest(session: RegistrySession, repository: string, manifest: { mediaType: string; bytes: Buffer; digest: string }, tags: string[]): Promise<void> {
  for (const reference of tags.length > 0 ? tags : [manifest.digest]) {
    const res = await session.expect([201], 'PUT', `/v2/${repository}/manifests/${reference}`, {
      headers: { 'content-type': manifest.mediaType },
      body: manifest.bytes,
    });
    const served = res.headers.get('docker-content-digest');
    if (served !== manifest.digest) throw new FixturePushError(`registry stored ${repository}:${reference} as ${served}, expected ${manifest.digest}`);
  }
}
