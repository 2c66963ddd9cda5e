/**
 * Known problems of the registry image a Registry runs, told from its tag (pure). One today:
 * distribution 3.0.0 to 3.1.0 accept `DELETE /v2/<name>/manifests/<tag>` (untag) even with
 * `storage.delete.enabled: false` (fixed in 3.1.1), so anyone who can push can remove tags on a
 * registry that was meant to refuse deletes. A digest-pinned or untagged image says nothing.
 */

/**
 * The distribution major version an image reference names by its tag (`registry:2.8.3` → 2,
 * `distribution/distribution:v3.0.0` → 3); undefined for a digest-only reference or a tag
 * that is not a version (`latest`, `edge`): those could be anything.
 */
export function distributionMajorVersion(image: string): number | undefined {
  const match = /^v?(\d+)(\.\d+){0,2}([-+.].*)?$/.exec(imageTag(image) ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The tag of an image reference (`host:5000/registry:3.1.2@sha256:…` → `3.1.2`); undefined without one. */
function imageTag(image: string): string | undefined {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon < 0 ? undefined : withoutDigest.slice(colon + 1);
}

export interface ImageAdvisory {
  reason: string;
  message: string;
}

/** `registry:3.0.0` → [3, 0, 0]; undefined for digests, `latest` and other non-versions. */
export function imageVersion(image: string): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(imageTag(image) ?? '');
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function imageAdvisory(image: string): ImageAdvisory | undefined {
  const version = imageVersion(image);
  if (!version) return undefined;
  const [major, minor, patch] = version;
  if (major === 3 && (minor === 0 || (minor === 1 && patch === 0))) {
    return {
      reason: 'TagDeleteBypassesDeleteEnabled',
      message: `Image ${image} is distribution ${version.join('.')}, which accepts DELETE of a tag (untag) even with deletes disabled (fixed in 3.1.1): anyone who can push can remove tags. Use registry:3.1.1 or later.`,
    };
  }
  return undefined;
}

/** Annotation that lets a Registry go from a distribution 3.x image back to 2.x on the same storage. */
export const ALLOW_DOWNGRADE_ANNOTATION = 'dockmaster.dev/allow-downgrade';

/**
 * Why a change of image is refused, or undefined when it may roll: going from distribution 3.x
 * back to 2.x on the same storage is refused unless the Registry carries
 * `dockmaster.dev/allow-downgrade: "true"`. 2.x never wrote what 3.x writes and is not tested
 * on it (3.x drops schema1 and stores OCI artifacts 2.x may not read back), and 2.8's
 * --delete-untagged would then delete the platforms of every tagged multi-arch index.
 */
export function downgradeRefusal(desiredImage: string, runningImage: string | undefined, annotations: Record<string, string> | undefined): string | undefined {
  if (!runningImage || annotations?.[ALLOW_DOWNGRADE_ANNOTATION] === 'true') return undefined;
  const running = distributionMajorVersion(runningImage);
  const desired = distributionMajorVersion(desiredImage);
  if (running === undefined || desired === undefined || running < 3 || desired >= 3) return undefined;
  return (
    `spec.image ${desiredImage} is distribution ${desired}.x, but the registry runs ${runningImage} (distribution ${running}.x) on this storage: ` +
    `going back is refused, the registry keeps running ${runningImage}. Set spec.image back, or annotate the Registry ${ALLOW_DOWNGRADE_ANNOTATION}=true ` +
    'if you have checked that 2.x can serve what 3.x stored (and leave deleteUntagged off: 2.8 deletes the platforms of tagged indexes).'
  );
}
