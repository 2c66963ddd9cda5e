/**
 * How old an image is, for mostRecent and newerThan. Reproducible builds (ko, Jib, Bazel) write
 * `created` as 1970-01-01T00:00:00Z or leave it out, and clocks can be wrong; other cleanup tools
 * deleted fresh images because of it. Such times are treated as new (the safe side): they rank
 * newest and are newer than any newerThan.
 */
import type { RepositorySnapshot } from './snapshot.js';

/** Anything at or before this instant is a placeholder, not a real build time. */
const EARLIEST_REAL_CREATED_MS = Date.parse('1970-01-01T00:00:01Z');

export interface ImageAge {
  /** Milliseconds since the epoch; +Infinity when the created time is missing or invalid. */
  createdMs: number;
  /** True when createdMs is +Infinity because the created time could not be trusted. */
  treatedAsNew: boolean;
}

const TREATED_AS_NEW: ImageAge = { createdMs: Number.POSITIVE_INFINITY, treatedAsNew: true };

function ageOfCreated(created: string | null | undefined, nowMs: number): ImageAge {
  if (created === undefined || created === null) return TREATED_AS_NEW;
  const ms = Date.parse(created);
  if (!Number.isFinite(ms) || ms <= EARLIEST_REAL_CREATED_MS || ms > nowMs) return TREATED_AS_NEW;
  return { createdMs: ms, treatedAsNew: false };
}

/**
 * The age of a manifest: its own created time, or for an index its newest child's (an index has
 * no config of its own). A child that is missing or untrustworthy makes the index new.
 */
export function imageAgeOf(repository: RepositorySnapshot, digest: string, nowMs: number, seen = new Set<string>()): ImageAge {
  const manifest = repository.manifests[digest];
  if (manifest === undefined || seen.has(digest)) return TREATED_AS_NEW;
  const children = manifest.children ?? [];
  if (children.length === 0) return ageOfCreated(manifest.created, nowMs);
  seen.add(digest);
  let newest: ImageAge = { createdMs: Number.NEGATIVE_INFINITY, treatedAsNew: false };
  for (const child of children) {
    const age = imageAgeOf(repository, child, nowMs, seen);
    if (age.createdMs > newest.createdMs) newest = age;
  }
  seen.delete(digest);
  return newest;
}
