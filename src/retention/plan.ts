/** The retention plan: the stable JSON shape of `dockmaster retention plan --output json`. */

export interface PlannedKeep {
  tag: string;
  digest: string;
  reason: string;
}

export interface PlannedDelete {
  digest: string;
  /**
   * Every tag that pointed to the digest when the plan was made (empty for an untagged child of a
   * deleted index). A DELETE by digest removes all of them, so the executor re-checks this
   * resolution with isDeleteStillValid before deleting.
   */
  tags: string[];
  reason: string;
}

/**
 * A tag removed without deleting its manifest: `DELETE /v2/<name>/manifests/<tag>`, which only
 * distribution 3.x (and registries following the OCI spec's tag delete) can do. Planned for a tag
 * the policy does not keep whose digest must stay for another reason (a kept tag shares it, or a
 * kept index lists it); on a registry that cannot untag, such a tag is kept instead.
 */
export interface PlannedUntag {
  tag: string;
  digest: string;
  reason: string;
}

export interface RepositoryPlan {
  name: string;
  keep: PlannedKeep[];
  delete: PlannedDelete[];
  /** Tags removed while their manifest stays (registries that can untag only; empty otherwise). */
  untag: PlannedUntag[];
  /** How many of `keep` only the cluster's use keeps (absent: none, or no in-use data). */
  keptInUse?: number;
}

export interface RetentionPlanSummary {
  /** Repositories in scope. */
  repositories: number;
  /** Tags in scope (kept + deleteTags + untagTags). */
  tags: number;
  /** Tags kept. */
  kept: number;
  /** Digests deleted (tagged ones and untagged children of deleted indexes). */
  deleteDigests: number;
  /** Tags those deletes remove. */
  deleteTags: number;
  /** Tags removed by untagging, their manifests kept. */
  untagTags: number;
  /** Tags kept only because the cluster runs them (no rule kept them); absent when in-use data was not given. */
  keptInUse?: number;
}

export interface RetentionPlan {
  registry: string;
  policy: string;
  repositories: RepositoryPlan[];
  summary: RetentionPlanSummary;
  /**
   * Repositories in scope that were not planned because a per-repository limit cut their listing
   * short; nothing in them is deleted, and a run with any ends PartiallyFailed. Absent when none.
   */
  skippedRepositories?: Array<{ name: string; reason: string }>;
  /** What the reader must know about this plan's inputs, e.g. that in-use protection was off. */
  notes?: string[];
}

/**
 * Whether a planned delete may still be executed, given the tags as they are now resolved
 * (tag → digest, undefined when the tag is gone). A DELETE by digest removes every tag on the
 * digest, so the delete is refused when a tag it relied on moved elsewhere (its image changed
 * under us: a push during the run) or when any other tag now points at the digest (deleting
 * would remove a tag the plan never judged). A tag that disappeared is harmless.
 */
export function isDeleteStillValid(entry: PlannedDelete, currentTagDigests: Record<string, string | undefined>): boolean {
  const plannedTags = new Set(entry.tags);
  for (const tag of entry.tags) {
    const now = currentTagDigests[tag];
    if (now !== undefined && now !== entry.digest) return false;
  }
  for (const [tag, digest] of Object.entries(currentTagDigests)) {
    if (digest === entry.digest && !plannedTags.has(tag)) return false;
  }
  return true;
}
