import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/**
 * Pure builders of image content for the fixtures: seeded layer bytes in a real tar.gz, config
 * JSON, image manifests, indexes and cosign-style attached manifests. Same seed, same bytes, same
 * digests (gzip from node:zlib writes mtime 0, so the archive is reproducible).
 */

export const MEDIA_TYPES = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    index: 'application/vnd.oci.image.index.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
} as const;

export type ImageFormat = keyof typeof MEDIA_TYPES;

/** Every manifest media type, for Accept headers. */
export const ALL_MANIFEST_MEDIA_TYPES = [MEDIA_TYPES.oci.manifest, MEDIA_TYPES.oci.index, MEDIA_TYPES.docker.manifest, MEDIA_TYPES.docker.index];

/** Default config `created`: fixed, so a seeded image has the same digest on every run. */
export const DEFAULT_CREATED = '2024-01-01T00:00:00Z';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Blob {
  mediaType: string;
  bytes: Buffer;
  digest: string;
}

export interface BuiltManifest {
  mediaType: string;
  bytes: Buffer;
  digest: string;
  config: Blob;
  layers: Blob[];
}

export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function blob(mediaType: string, bytes: Buffer): Blob {
  return { mediaType, bytes, digest: digestOf(bytes) };
}

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** Pseudo-random bytes from a seed (sha256 in counter mode). */
export function seededBytes(seed: string, size: number): Buffer {
  const chunks: Buffer[] = [];
  for (let i = 0, total = 0; total < size; i++, total += 32) chunks.push(createHash('sha256').update(`${seed}#${i}`).digest());
  return Buffer.concat(chunks).subarray(0, size);
}

/** A ustar archive holding one regular file. */
export function tarWithOneFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string): void => void header.write(value, offset, length, 'ascii');
  field(0, 100, name);
  field(100, 8, '0000644\0');
  field(108, 8, '0000000\0');
  field(116, 8, '0000000\0');
  field(124, 12, `${content.length.toString(8).padStart(11, '0')}\0`);
  field(136, 12, '00000000000\0');
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 8, 'ustar\x0000');
  let checksum = 0;
  for (const byte of header) checksum += byte;
  field(148, 8, `${checksum.toString(8).padStart(6, '0')}\0 `);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

export interface ImageSpec {
  format: ImageFormat;
  seed: string;
  created: string | null;
  platform: Platform;
  layers: number;
  layerSize: number;
}

export function buildImage(spec: ImageSpec): BuiltManifest {
  const types = MEDIA_TYPES[spec.format];
  const tars = Array.from({ length: spec.layers }, (_, i) => tarWithOneFile(`layer-${i}.bin`, seededBytes(`${spec.seed}/layer/${i}`, spec.layerSize)));
  const layers = tars.map((tar) => blob(types.layer, gzipSync(tar)));
  const configJson: Record<string, unknown> = {
    // `created: null` leaves the field out, as reproducible builds (ko, bazel, nix) often do.
    ...(spec.created === null ? {} : { created: spec.created }),
    architecture: spec.platform.architecture,
    os: spec.platform.os,
    ...(spec.platform.variant ? { variant: spec.platform.variant } : {}),
    config: { Labels: { 'dev.dockmaster.test.seed': spec.seed } },
    rootfs: { type: 'layers', diff_ids: tars.map(digestOf) },
  };
  const config = blob(types.config, jsonBytes(configJson));
  return manifestOf(types.manifest, config, layers);
}

function manifestOf(mediaType: string, config: Blob, layers: Blob[], layerAnnotations?: Record<string, string>): BuiltManifest {
  const descriptor = (b: Blob): Record<string, unknown> => ({ mediaType: b.mediaType, size: b.bytes.length, digest: b.digest });
  const bytes = jsonBytes({
    schemaVersion: 2,
    mediaType,
    config: descriptor(config),
    layers: layers.map((l) => ({ ...descriptor(l), ...(layerAnnotations ? { annotations: layerAnnotations } : {}) })),
  });
  return { mediaType, bytes, digest: digestOf(bytes), config, layers };
}

export function buildIndex(format: ImageFormat, children: Array<{ manifest: BuiltManifest; platform: Platform }>): { mediaType: string; bytes: Buffer; digest: string } {
  const mediaType = MEDIA_TYPES[format].index;
  const bytes = jsonBytes({
    schemaVersion: 2,
    mediaType,
    manifests: children.map(({ manifest, platform }) => ({
      mediaType: manifest.mediaType,
      size: manifest.bytes.length,
      digest: manifest.digest,
      platform: { architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}) },
    })),
  });
  return { mediaType, bytes, digest: digestOf(bytes) };
}

export type AttachedKind = 'sig' | 'att' | 'sbom';

/** The tag cosign uses for an artifact attached to `subjectDigest`: `sha256-<hex>.<kind>`. */
export function attachedTag(subjectDigest: string, kind: AttachedKind): string {
  return `${subjectDigest.replace(':', '-')}.${kind}`;
}

/** A cosign-shaped OCI manifest whose one layer names the subject digest. */
export function buildAttachedManifest(kind: AttachedKind, subjectDigest: string, dockerReference: string, seed: string): BuiltManifest {
  const fakeSignature = seededBytes(`${seed}/${kind}/signature`, 64).toString('base64');
  const hex = subjectDigest.slice(subjectDigest.indexOf(':') + 1);
  let layer: Blob;
  let annotations: Record<string, string>;
  if (kind === 'sig') {
    const payload = {
      critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': subjectDigest }, type: 'cosign container image signature' },
      optional: null,
    };
    layer = blob('application/vnd.dev.cosign.simplesigning.v1+json', jsonBytes(payload));
    annotations = { 'dev.cosignproject.cosign/signature': fakeSignature };
  } else if (kind === 'att') {
    const statement = {
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType: 'https://slsa.dev/provenance/v0.2',
      subject: [{ name: dockerReference, digest: { sha256: hex } }],
      predicate: {},
    };
    const envelope = { payloadType: 'application/vnd.in-toto+json', payload: jsonBytes(statement).toString('base64'), signatures: [{ keyid: '', sig: fakeSignature }] };
    layer = blob('application/vnd.dsse.envelope.v1+json', jsonBytes(envelope));
    annotations = { predicateType: 'https://slsa.dev/provenance/v0.2' };
  } else {
    const sbom = { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: dockerReference, documentNamespace: `https://dockmaster.dev/test/${hex}`, packages: [] };
    layer = blob('text/spdx+json', jsonBytes(sbom));
    annotations = {};
  }
  const config = blob(
    MEDIA_TYPES.oci.config,
    jsonBytes({ architecture: '', config: {}, created: '0001-01-01T00:00:00Z', os: '', rootfs: { type: 'layers', diff_ids: [layer.digest] } }),
  );
  return manifestOf(MEDIA_TYPES.oci.manifest, config, [layer], Object.keys(annotations).length > 0 ? annotations : undefined);
}
