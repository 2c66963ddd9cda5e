/**
 * The executor's re-check decisions (invariant 5) and their safety under random pushes, re-tags
 * and failed deletes during a run: whatever happened, what the executor deletes never removes a
 * tag the plan did not judge, never breaks an index someone can pull, and never orphans the
 * artifacts of a subject that stays.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderRepositoryDeletes } from '../../../src/retention/delete-order.js';
import { blockedByReferrer, skipsAfterRecheck, staleDeleteReason } from '../../../src/retention/delete-recheck.js';
import { isDeleteStillValid, planRetention, subjectOfAttachedArtifactTag } from '../../../src/retention/planner.js';
import type { ManifestSnapshot, RepositorySnapshot } from '../../../src/retention/snapshot.js';
import type { RepositoryRecheck } from '../../../src/retention/delete-recheck.js';
import { digestOf, image, index, NOW, policy, registry, signatureTag } from './fixtures.js';
import { mutatedRepositoryArb, repositoryArb } from './retention-generators.js';

const spec = policy({ protectedTags: ['latest'], keep: [{ tags: ['v*'], mostRecent: 2 }] });

/** Sends the deletes level by level as the executor does; `failing` DELETEs fail. Returns the digests gone. */
function simulate(before: RepositorySnapshot, recheck: RepositoryRecheck, failing: ReadonlySet<string>) {
  const plan = planRetention(spec, registry(before), { now: NOW, policyName: 'p' }).repositories[0]!;
  const order = orderRepositoryDeletes(plan, before);
  const skips = skipsAfterRecheck(order, before, recheck);
  const gone = new Set<string>();
  for (const level of order.levels) {
    for (const entry of level) {
      if (skips.has(entry.digest) || blockedByReferrer(entry.digest, order.references, gone) !== undefined || failing.has(entry.digest)) continue;
      gone.add(entry.digest);
    }
  }
  return { plan, skips, gone };
}

function descendants(manifests: Record<string, ManifestSnapshot>, root: string): Set<string> {
  const seen = new Set<string>();
  for (const pending = [root]; pending.length > 0; ) {
    const digest = pending.pop()!;
    if (seen.has(digest)) continue;
    seen.add(digest);
    pending.push(...(manifests[digest]?.children ?? []));
  }
  return seen;
}

describe('staleDeleteReason', () => {
  it('explains exactly when isDeleteStillValid refuses', () => {
    const digests = fc.constantFrom(digestOf(1), digestOf(2), digestOf(3));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.option(digests, { nil: undefined })),
        (tags, current) => {
          const entry = { digest: digestOf(1), tags, reason: '' };
          expect(staleDeleteReason(entry, current) === undefined).toBe(isDeleteStillValid(entry, current));
        },
      ),
    );
  });

  it('names the tag and where it went', () => {
    const entry = { digest: digestOf(1), tags: ['v1'], reason: '' };
    expect(staleDeleteReason(entry, { v1: digestOf(2) })).toBe(`tag v1 moved to ${digestOf(2)} since the plan`);
    expect(staleDeleteReason(entry, { v1: digestOf(1), rollback: digestOf(1) })).toBe('tag rollback now points at this digest (the plan did not judge it)');
  });
});

describe('skipsAfterRecheck', () => {
  it('skips a planned child that a new index references, and its deleted parent index is still deleted', () => {
    const [child, idx] = [digestOf(1), digestOf(2)];
    const before = { name: 'app', tags: { old: idx, v9: digestOf(3) }, manifests: { [child]: image(null), [idx]: index([child]), [digestOf(3)]: image(null) } };
    const plan = planRetention(policy({ keep: [{ tags: ['v*'] }] }), registry(before), { now: NOW, policyName: 'p' }).repositories[0]!;
    const skips = skipsAfterRecheck(orderRepositoryDeletes(plan, before), before, {
      tags: { ...before.tags, multi: digestOf(4) },
      newIndexChildren: { [digestOf(4)]: [child] },
    });
    expect([...skips]).toEqual([[child, `referenced by index ${digestOf(4)}, pushed since the plan (tag multi points at ${digestOf(4)})`]]);
  });

  it('skips a subject when a new attached artifact names it, and a skipped subject keeps its old artifacts', () => {
    const img = digestOf(1);
    const before = { name: 'app', tags: { old: img, [signatureTag(img)]: digestOf(2), v1: digestOf(3) }, manifests: { [img]: image(null), [digestOf(2)]: image(null), [digestOf(3)]: image(null) } };
    const plan = planRetention(policy({ keep: [{ tags: ['v*'] }] }), registry(before), { now: NOW, policyName: 'p' }).repositories[0]!;
    const skips = skipsAfterRecheck(orderRepositoryDeletes(plan, before), before, { tags: { ...before.tags, [signatureTag(img, 'att')]: digestOf(9) }, newIndexChildren: {} });
    expect(skips.get(img)).toBe(`attached artifact ${signatureTag(img, 'att')} was pushed since the plan`);
    expect(skips.get(digestOf(2))).toBe(`its subject ${img} is not deleted (its delete was skipped)`);
  });

  it('property: nothing changed → nothing skipped, every planned digest deleted', () => {
    fc.assert(
      fc.property(repositoryArb, (before) => {
        const { plan, skips, gone } = simulate(before, { tags: { ...before.tags }, newIndexChildren: {} }, new Set());
        expect([...skips]).toEqual([]);
        expect([...gone].sort()).toEqual(plan.delete.map((d) => d.digest).sort());
      }),
      { numRuns: 300 },
    );
  });

  it('property: whatever was pushed mid-run and whichever deletes fail, nothing kept or unjudged breaks', () => {
    fc.assert(
      fc.property(mutatedRepositoryArb, fc.array(fc.integer({ min: 100, max: 210 }), { maxLength: 4 }), ({ before, recheck, currentManifests }, failingNumbers) => {
        const { plan, skips, gone } = simulate(before, recheck, new Set(failingNumbers.map(digestOf)));
        const plannedTags = new Map(plan.delete.map((d) => [d.digest, new Set(d.tags)]));
        for (const [tag, digest] of Object.entries(recheck.tags)) {
          // 1. A tag that a DELETE removed was judged deletable by the plan, on that very digest.
          if (gone.has(digest)) expect(plannedTags.get(digest)?.has(tag), `${tag} → ${digest}`).toBe(true);
          // 2. Whatever a surviving tag points to pulls: none of its descendants is gone.
          else for (const d of descendants(currentManifests, digest)) expect(gone.has(d), `${tag} → ${digest} needs ${d}`).toBe(false);
          const subject = subjectOfAttachedArtifactTag(tag);
          if (subject === undefined) continue;
          // 3. An artifact whose subject stays on purpose is not deleted; a deleted subject leaves no artifact behind.
          if (skips.has(subject)) expect(gone.has(digest)).toBe(false);
          if (gone.has(subject)) expect(gone.has(digest), `${tag} of deleted ${subject}`).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
