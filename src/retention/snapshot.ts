/**
 * The listed state of a registry that the retention planner decides on. The executor builds it
 * with one tags/list, one HEAD per tag and one config fetch per digest; the planner never does I/O.
 */

/** One manifest as the planner needs it. */
export interface ManifestSnapshot {
  mediaType: string;
  /** The image config's `created` (RFC 3339), as written by the build tool; missing for indexes and some builds. */
  created?: string | null;
  /** For an index (manifest list): the digests of the manifests it references. */
  children?: string[];
}

export interface RepositorySnapshot {
  /** Repository path, e.g. `app/web`. */
  name: string;
  /** Tag → the digest it resolved to when listed. */
  tags: Record<string, string>;
  /** Digest → manifest; holds every manifest the planner may consider, tagged or not. */
  manifests: Record<string, ManifestSnapshot>;
}

/** A repository in scope whose listing hit a per-repository limit: it is not planned at all. */
export interface SkippedRepository {
  name: string;
  /** The limit reached and how to raise it. */
  reason: string;
}

export interface RegistrySnapshot {
  /** Where the snapshot was taken, e.g. `https://registry.example.com`; copied into the plan. */
  registry: string;
  /** Only repositories listed completely: a truncated listing never reaches the planner. */
  repositories: RepositorySnapshot[];
  /** Repositories in scope left out because their listing was cut short (absent: none). */
  skippedRepositories?: SkippedRepository[];
}
