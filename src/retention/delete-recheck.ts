/**
 * Which planned deletes of one repository must be skipped, given the tags as resolved again just
 * before deleting (pure). The plan was made from a listing that may be minutes old; a push since
 * then can make a planned DELETE remove something nobody judged (invariant 5). Skipping is always
 * safe: the next run re-plans from a fresh listing.
 */
import type { DeleteReference, RepositoryDeleteOrder } from './delete-order.js';
import type { PlannedDelete } from './plan.js';
import { subjectOfAttachedArtifactTag } from './planner.js';
import type { RepositorySnapshot } from './snapshot.js';

/** The repository as seen again just before its deletes. */
export interface RepositoryRecheck {
  /** Tag → digest now (tags/list, then one HEAD per tag). A tag gone by its HEAD is absent. */
  tags: Record<string, string>;
  /**
   * Index children of the manifests the tags now point to that the plan's snapshot did not know
   * (pushed or re-tagged since), by index digest: a new multi-arch image may reference a planned delete.
   */
  newIndexChildren: Record<string, string[]>;
}

/**
 * Why `entry` may no longer be deleted, or undefined when it still may. Agrees with
 * isDeleteStillValid (plan.ts), which only says yes or no.
 */
export function staleDeleteReason(
  entry: PlannedDelete,
  currentTagDigests: Record<string, string | undefined>,
  tagsByDigest: ReadonlyMap<string, readonly string[]> = indexTagsByDigest(currentTagDigests),
): string | undefined {
  const plannedTags = new Set(entry.tags);
  for (const tag of entry.tags) {
    const now = currentTagDigests[tag];
    if (now !== undefined && now !== entry.digest) return `tag ${tag} moved to ${now} since the plan`;
  }
  for (const tag of tagsByDigest.get(entry.digest) ?? []) {
    if (!plannedTags.has(tag)) return `tag ${tag} now points at this digest (the plan did not judge it)`;
  }
  return undefined;
}

/** Digest → the tags on it now; built once per repository so each check is not a scan of every tag. */
export function indexTagsByDigest(currentTagDigests: Record<string, string | undefined>): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const [tag, digest] of Object.entries(currentTagDigests)) {
    if (digest === undefined) continue;
    const tags = index.get(digest);
    if (tags) tags.push(tag);
    else index.set(digest, [tag]);
  }
  return index;
}

/**
 * Digest → reason for every planned delete of the repository that is skipped. Besides the stale
 * ones: what a surviving tag's manifest references, the subject of a new attached artifact, and, transitively,
 * what a skipped delete references (its manifest stays, so what it needs stays) and the artifacts
 * of a skipped subject (artifacts follow their subject, invariant 3).
 */
export function skipsAfterRecheck(
  order: RepositoryDeleteOrder,
  snapshot: RepositorySnapshot | undefined,
  recheck: RepositoryRecheck,
): Map<string, string> {
  const planned = new Set(order.levels.flat().map((entry) => entry.digest));
  const skips = new Map<string, string>();
  const tagsByDigest = indexTagsByDigest(recheck.tags);
  for (const entry of order.levels.flat()) {
    const reason = staleDeleteReason(entry, recheck.tags, tagsByDigest);
    if (reason !== undefined) skips.set(entry.digest, reason);
  }
  skipWhatSurvivingTagsReach(planned, snapshot, recheck, skips);
  for (const tag of Object.keys(recheck.tags)) {
    const subject = subjectOfAttachedArtifactTag(tag);
    if (subject === undefined || snapshot?.tags[tag] !== undefined) continue;
    if (planned.has(subject) && !skips.has(subject)) skips.set(subject, `attached artifact ${tag} was pushed since the plan`);
  }
  propagateSkips(order.references, skips);
  return skips;
}

/**
 * A tag that stays (its digest is not a planned delete) must keep pulling: nothing its manifest
 * references, directly or through nested indexes, may go. Unchanged tags never reach a planned
 * delete (the planner keeps what kept indexes reference); a tag pushed or re-pointed since the
 * plan can, e.g. a new multi-arch index assembled from existing per-platform images.
 */
function skipWhatSurvivingTagsReach(planned: ReadonlySet<string>, snapshot: RepositorySnapshot | undefined, recheck: RepositoryRecheck, skips: Map<string, string>): void {
  const childrenOf = (digest: string): readonly string[] => recheck.newIndexChildren[digest] ?? snapshot?.manifests[digest]?.children ?? [];
  for (const [tag, root] of Object.entries(recheck.tags)) {
    if (planned.has(root)) continue;
    const seen = new Set<string>([root]);
    for (const pending = [root]; pending.length > 0; ) {
      const parent = pending.pop()!;
      for (const child of childrenOf(parent)) {
        if (seen.has(child)) continue;
        seen.add(child);
        pending.push(child);
        const pushed = snapshot?.manifests[parent] === undefined ? ', pushed since the plan' : '';
        if (planned.has(child) && !skips.has(child)) skips.set(child, `referenced by index ${parent}${pushed} (tag ${tag} points at ${root})`);
      }
    }
  }
}

function propagateSkips(references: readonly DeleteReference[], skips: Map<string, string>): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const { from, to, kind } of references) {
      if (skips.has(from) && !skips.has(to)) {
        const what = kind === 'child' ? 'index' : 'attached artifact';
        skips.set(to, `referenced by ${what} ${from}, whose delete was skipped`);
        changed = true;
      }
      if (kind === 'subject' && skips.has(to) && !skips.has(from)) {
        skips.set(from, `its subject ${to} is not deleted (its delete was skipped)`);
        changed = true;
      }
    }
  }
}

/**
 * At delete time: why `digest` must wait, because a planned delete that references it (sent
 * earlier) did not happen, or undefined when all of them are gone.
 */
export function blockedByReferrer(digest: string, references: readonly DeleteReference[], gone: ReadonlySet<string>): string | undefined {
  for (const { from, to, kind } of references) {
    if (to !== digest || gone.has(from)) continue;
    const what = kind === 'child' ? 'index' : 'attached artifact';
    return `${what} ${from} that references it was not deleted`;
  }
  return undefined;
}
