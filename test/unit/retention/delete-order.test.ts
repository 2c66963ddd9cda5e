/** The order of a repository's deletes: referrers (indexes, attached artifacts) before what they reference. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderRepositoryDeletes } from '../../../src/retention/delete-order.js';
import { planRetention } from '../../../src/retention/planner.js';
import { digestOf, image, index, NOW, policy, registry, signatureTag } from './fixtures.js';
import { repositoryArb } from './retention-generators.js';

describe('orderRepositoryDeletes', () => {
  it('sends a signature before its subject, an index before its children', () => {
    const [img, child1, child2, idx] = [digestOf(1), digestOf(2), digestOf(3), digestOf(4)];
    const repo = {
      name: 'app',
      tags: { old: img, [signatureTag(img)]: digestOf(9), multi: idx, [signatureTag(idx)]: digestOf(10), keep: digestOf(11) },
      manifests: { [img]: image(null), [child1]: image(null), [child2]: image(null), [idx]: index([child1, child2]), [digestOf(9)]: image(null), [digestOf(10)]: image(null), [digestOf(11)]: image(null) },
    };
    const plan = planRetention(policy({ keep: [{ tags: ['keep'] }] }), registry(repo), { now: NOW, policyName: 'p' });
    const order = orderRepositoryDeletes(plan.repositories[0]!, repo);
    expect(order.levels.map((level) => level.map((d) => d.digest))).toEqual([[digestOf(9), digestOf(10)], [img, idx], [child1, child2]]);
    expect(order.references).toEqual(
      expect.arrayContaining([
        { from: idx, to: child1, kind: 'child' },
        { from: digestOf(9), to: img, kind: 'subject' },
      ]),
    );
  });

  it('property: every planned delete appears once, after everything planned that references it', () => {
    fc.assert(
      fc.property(repositoryArb, fc.integer({ min: 1, max: 3 }), (repo, keepCount) => {
        const spec = policy({ keep: [{ tags: ['v*'], mostRecent: keepCount }] });
        const plan = planRetention(spec, registry(repo), { now: NOW, policyName: 'p' }).repositories[0]!;
        const order = orderRepositoryDeletes(plan, repo);
        const levelOf = new Map<string, number>();
        order.levels.forEach((level, i) => level.forEach((d) => levelOf.set(d.digest, i)));
        expect(order.levels.flat().map((d) => d.digest).sort()).toEqual(plan.delete.map((d) => d.digest).sort());
        for (const { from, to } of order.references) expect(levelOf.get(from)!).toBeLessThan(levelOf.get(to)!);
        // Completeness: every planned index child and every planned subject of a planned artifact is a reference.
        for (const entry of plan.delete) {
          for (const child of repo.manifests[entry.digest]?.children ?? []) {
            if (levelOf.has(child)) expect(levelOf.get(entry.digest)!).toBeLessThan(levelOf.get(child)!);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
