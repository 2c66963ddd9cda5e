/**
 * The image dockmaster keeps in every managed registry with pull tracking, so that it can pull
 * something and watch the event arrive (pull-tracking/canary.ts). A manifest of the OCI empty
 * config and no layers: a few hundred bytes in the registry, no file system in it, nothing to run.
 * Retention never touches its repository (retention/policy-scope.ts).
 */
import { createHash } from 'node:crypto';

export const PULL_CANARY_REPOSITORY = 'dockmaster/pull-canary';
export const PULL_CANARY_TAG = 'canary';
export const PULL_CANARY_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';

/** The OCI image spec's empty descriptor content (`{}`), used as the config. */
export const PULL_CANARY_CONFIG = Buffer.from('{}');

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export const PULL_CANARY_MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: PULL_CANARY_MANIFEST_MEDIA_TYPE,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(PULL_CANARY_CONFIG), size: PULL_CANARY_CONFIG.length },
    layers: [],
    annotations: { 'org.opencontainers.image.description': 'dockmaster pull canary: proves that this registry reports pulls (docs/retention.md)' },
  }),
);
