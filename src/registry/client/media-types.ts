/** Media types of the manifests a v2 registry stores, and the Accept list that asks for all of them. */
export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/**
 * Sent on every manifest HEAD/GET. A registry only serves what the client accepts: distribution
 * 2.8.2 answers 404 MANIFEST_UNKNOWN for an OCI manifest or index when its type is missing here
 * (measured: HEAD without Accept on an OCI manifest → 404), so all four are always listed.
 */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerManifestList,
].join(', ');

export type ManifestKind = 'image' | 'index';

/** Whether a manifest media type is a single image or a list of images; null for anything else. */
export function manifestKindOf(mediaType: string): ManifestKind | null {
  switch (mediaType) {
    case MEDIA_TYPES.ociManifest:
    case MEDIA_TYPES.dockerManifest:
      return 'image';
    case MEDIA_TYPES.ociIndex:
    case MEDIA_TYPES.dockerManifestList:
      return 'index';
    default:
      return null;
  }
}

/** `application/json; charset=utf-8` → `application/json`. */
export function bareMediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}
