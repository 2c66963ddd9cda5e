/**
 * Whether a window may run `garbage-collect --delete-untagged`, decided from the registry image.
 *
 * distribution 2.8 marks only what tags reach directly: the per-platform manifests of a tagged
 * multi-arch index are "untagged", so --delete-untagged deletes them and the index no longer
 * pulls on any platform (pinned by test/integration/harness/garbage-collect.test.ts against
 * 2.8.2). distribution 3 marks the children of an index before sweeping, so there it is safe.
 */
import { distributionMajorVersion } from '../managed-registry/image-advisory.js';

export interface DeleteUntaggedDecision {
  /** Whether the Job passes --delete-untagged. */
  deleteUntagged: boolean;
  /** Set when the user asked for it and the operator refused, for the status message. */
  refusal?: string;
}

/** First major version from which --delete-untagged keeps the children of tagged indexes. */
export const FIRST_SAFE_MAJOR = 3;

/**
 * A tag that names 2.x refuses at once. A tag that names 3+ or nothing (a digest, `latest`, a
 * mirror's retag) passes the flag to the Job, whose script asks the binary (`registry --version`)
 * and drops the flag unless it really is 3+ (gc-job-script.ts): a tag can lie, the binary cannot.
 */
export function decideDeleteUntagged(requested: boolean, image: string): DeleteUntaggedDecision {
  if (!requested) return { deleteUntagged: false };
  const major = distributionMajorVersion(image);
  if (major === undefined || major >= FIRST_SAFE_MAJOR) return { deleteUntagged: true };
  const why = `image ${image} is distribution ${major}.x, which`;
  return {
    deleteUntagged: false,
    refusal:
      `deleteUntagged refused: ${why} deletes the untagged per-platform manifests of tagged multi-arch indexes with ` +
      `--delete-untagged; garbage-collect ran without it (use a registry:${FIRST_SAFE_MAJOR}.x image to allow it).`,
  };
}
