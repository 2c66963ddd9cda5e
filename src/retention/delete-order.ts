/**
 * The order in which one repository's planned deletes are sent (pure). A manifest that references
 * another planned delete goes first: an index before its children, an attached artifact
 * (sha256-<hex>.sig|.att|.sbom) before its subject. A run that stops in between then leaves only
 * states a re-run can finish: an untagged child nobody references (left to garbage collection),
 * or a subject without its signature (still planned for delete). The opposite order would leave a
 * broken index (its re-listing fails) or a signature whose subject is gone (the planner leaves
 * those untouched, so the run would never converge).
 */
import type { PlannedDelete, PlannedUntag, RepositoryPlan } from './plan.js';
import { subjectOfAttachedArtifactTag } from './planner.js';
import type { RepositorySnapshot } from './snapshot.js';

/** `from` references `to`, so `from` must be deleted first. */
export interface DeleteReference {
  from: string;
  to: string;
  /** child: `from` is an index listing `to`; subject: `from` is an artifact attached to `to`. */
  kind: 'child' | 'subject';
}

export interface RepositoryDeleteOrder {
  repository: string;
  /** Groups sent one after the other; the deletes within a group are independent. */
  levels: PlannedDelete[][];
  /** References between planned deletes of this repository. */
  references: DeleteReference[];
  /** Tags to untag (their manifests stay), sent before the deletes; independent of them. */
  untag: PlannedUntag[];
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The references between the planned deletes of one repository, from the snapshot the plan was made from. */
export function referencesBetweenDeletes(plan: RepositoryPlan, snapshot: RepositorySnapshot | undefined): DeleteReference[] {
  const planned = new Set(plan.delete.map((entry) => entry.digest));
  const references: DeleteReference[] = [];
  for (const entry of plan.delete) {
    for (const child of snapshot?.manifests[entry.digest]?.children ?? []) {
      if (planned.has(child) && child !== entry.digest) references.push({ from: entry.digest, to: child, kind: 'child' });
    }
    for (const tag of entry.tags) {
      const subject = subjectOfAttachedArtifactTag(tag);
      if (subject !== undefined && planned.has(subject) && subject !== entry.digest) references.push({ from: entry.digest, to: subject, kind: 'subject' });
    }
  }
  return references;
}

/**
 * Levels by Kahn's algorithm: level 0 holds the deletes nothing planned references, level n+1
 * what only levels ≤ n reference. Content addressing rules out cycles; should one appear anyway,
 * its members come last, together.
 */
export function orderRepositoryDeletes(plan: RepositoryPlan, snapshot: RepositorySnapshot | undefined): RepositoryDeleteOrder {
  const references = referencesBetweenDeletes(plan, snapshot);
  const entryOf = new Map(plan.delete.map((entry) => [entry.digest, entry]));
  const pendingReferrers = new Map<string, number>([...entryOf.keys()].map((digest) => [digest, 0]));
  for (const { to } of references) pendingReferrers.set(to, (pendingReferrers.get(to) ?? 0) + 1);
  const levels: PlannedDelete[][] = [];
  const placed = new Set<string>();
  for (let ready = [...entryOf.keys()].filter((d) => pendingReferrers.get(d) === 0); ready.length > 0; ) {
    ready.sort(byString);
    levels.push(ready.map((digest) => entryOf.get(digest)!));
    for (const digest of ready) placed.add(digest);
    const readyNow = new Set(ready);
    const next: string[] = [];
    for (const { from, to } of references) {
      if (!readyNow.has(from)) continue;
      const left = (pendingReferrers.get(to) ?? 0) - 1;
      pendingReferrers.set(to, left);
      if (left === 0) next.push(to);
    }
    ready = [...new Set(next)];
  }
  const cyclic = [...entryOf.keys()].filter((digest) => !placed.has(digest)).sort(byString);
  if (cyclic.length > 0) levels.push(cyclic.map((digest) => entryOf.get(digest)!));
  return { repository: plan.name, levels, references, untag: plan.untag };
}
