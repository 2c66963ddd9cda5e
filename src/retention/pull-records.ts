/**
 * Pull records of one registry, as the planner reads them (pulledWithin, mostRecentlyPulled):
 * when each manifest was last pulled, and since when the records are complete. Pulls made by
 * dockmaster itself are never recorded.
 */
import type { PullCoverage } from './keep-rules.js';

export interface PullRecords extends PullCoverage {
  /** Repository path → manifest digest → last pull (ms since the epoch). */
  byRepository: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** When `digest` of `repository` was last pulled, or undefined when the records hold no pull of it. */
export function lastPullOf(records: PullRecords | undefined, repository: string, digest: string): number | undefined {
  return records?.byRepository.get(repository)?.get(digest);
}
