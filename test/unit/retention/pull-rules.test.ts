import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRetention } from '../../../src/retention/planner.js';
import type { PullRecords } from '../../../src/retention/pull-records.js';
import type { RepositorySnapshot } from '../../../src/retention/snapshot.js';
import { daysAgo, digestOf, image, NOW, policy, registry } from './fixtures.js';

const DAY = 86_400_000;
const at = (daysBefore: number): number => NOW.getTime() - daysBefore * DAY;

/** app: a (created 50 days ago) … e (10 days ago), each its own digest 1..5. */
function repo(): RepositorySnapshot {
  const r: RepositorySnapshot = { name: 'app', tags: {}, manifests: {} };
  ['a', 'b', 'c', 'd', 'e'].forEach((tag, i) => {
    r.tags[tag] = digestOf(i + 1);
    r.manifests[digestOf(i + 1)] = image(daysAgo(50 - i * 10));
  });
  return r;
}
const records = (coveredDaysAgo: number, pulls: Record<string, number>): PullRecords => ({
  coveredSinceMs: at(coveredDaysAgo),
  byRepository: new Map([['app', new Map(Object.entries(pulls).map(([tag, d]) => [digestOf('abcde'.indexOf(tag) + 1), at(d)]))]]),
});
const kept = (plan: ReturnType<typeof planRetention>) => Object.fromEntries(plan.repositories[0]!.keep.map((k) => [k.tag, k.reason]));

describe('pulledWithin', () => {
  it('keeps the tags pulled within the duration once tracking covers it; the others go', () => {
    const plan = planRetention(policy({ keep: [{ pulledWithin: '30d' }] }), registry(repo()), { now: NOW, policyName: 'p', pulls: records(60, { a: 3, c: 45 }) });
    expect(kept(plan)).toEqual({ a: 'kept by rule 1: pulled within 30d' });
    expect(plan.repositories[0]!.delete.flatMap((d) => d.tags).sort()).toEqual(['b', 'c', 'd', 'e']);
  });

  it('keeps every selected tag while tracking covers less than the duration, saying since when', () => {
    const plan = planRetention(policy({ keep: [{ pulledWithin: '30d' }] }), registry(repo()), { now: NOW, policyName: 'p', pulls: records(7, { a: 3 }) });
    expect(Object.keys(kept(plan))).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(kept(plan).b).toBe(`kept by rule 1: pull tracking runs only since ${new Date(at(7)).toISOString()}, less than pulledWithin 30d`);
  });

  it('keeps every selected tag without pull records (external registry, tracking off)', () => {
    const plan = planRetention(policy({ keep: [{ tags: ['a', 'b'], pulledWithin: '1d' }] }), registry(repo()), { now: NOW, policyName: 'p' });
    expect(kept(plan)).toEqual({
      a: 'kept by rule 1: no pull records for this registry, so pulledWithin 1d keeps every selected tag',
      b: 'kept by rule 1: no pull records for this registry, so pulledWithin 1d keeps every selected tag',
    });
  });
});

describe('mostRecentlyPulled', () => {
  it('ranks by last pull; never-pulled tags rank below every pulled one, ties broken by newest created then name', () => {
    const plan = planRetention(policy({ keep: [{ mostRecentlyPulled: 3 }] }), registry(repo()), { now: NOW, policyName: 'p', pulls: records(60, { a: 2, c: 40 }) });
    // a, c pulled; then e (newest created) among the never pulled.
    expect(Object.keys(kept(plan)).sort()).toEqual(['a', 'c', 'e']);
    expect(kept(plan).a).toBe('kept by rule 1: among 3 most recently pulled * tags');
  });

  it('joins the other criteria in a union', () => {
    const plan = planRetention(policy({ keep: [{ mostRecentlyPulled: 1, mostRecent: 1 }] }), registry(repo()), { now: NOW, policyName: 'p', pulls: records(60, { a: 2 }) });
    expect(Object.keys(kept(plan)).sort()).toEqual(['a', 'e']);
  });
});

describe('pull rules (property)', () => {
  it('never deletes a tag selected by a pulledWithin rule whose records cover less than its duration, nor one pulled within it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 90 }),
        fc.constantFrom('1d', '7d', '30d', '60d'),
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.integer({ min: 0, max: 90 })),
        (coveredDaysAgo, within, pulls) => {
          const plan = planRetention(policy({ keep: [{ tags: ['a', 'b', 'c'], pulledWithin: within }] }), registry(repo()), { now: NOW, policyName: 'p', pulls: records(coveredDaysAgo, pulls) });
          const deleted = new Set(plan.repositories[0]!.delete.flatMap((d) => d.tags));
          const days = Number(within.slice(0, -1));
          for (const tag of ['a', 'b', 'c']) {
            if (coveredDaysAgo < days) expect(deleted.has(tag), `${tag}: coverage ${coveredDaysAgo}d < ${within}`).toBe(false);
            const pulled = pulls[tag];
            if (pulled !== undefined && pulled <= days) expect(deleted.has(tag), `${tag} pulled ${pulled}d ago`).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
