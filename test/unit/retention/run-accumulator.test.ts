import { describe, expect, it } from 'vitest';
import type { RetentionPlan } from '../../../src/retention/plan.js';
import { BOUNDED_REPORT_ENTRIES, RunAccumulator } from '../../../src/retention/run-accumulator.js';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function batchPlan(first: number, repos: number, deletesEach: number): RetentionPlan {
  const repositories = Array.from({ length: repos }, (_, r) => ({
    name: `r${String(first + r).padStart(4, '0')}`,
    keep: [{ tag: 'keep', digest: digest(1), reason: 'kept' }],
    delete: Array.from({ length: deletesEach }, (_, d) => ({ digest: digest(1000 * (first + r) + d + 2), tags: [`t${d}`], reason: 'deleted' })),
    untag: [],
  }));
  return { registry: 'reg', policy: 'p', repositories, summary: { repositories: repos, tags: repos * (deletesEach + 1), kept: repos, deleteDigests: repos * deletesEach, deleteTags: repos * deletesEach, untagTags: 0 } };
}

describe('RunAccumulator (what a batched run keeps)', () => {
  it('full: keeps every repository plan and ledger entry, sorted; sums the summary', () => {
    const acc = new RunAccumulator('reg', 'p', false);
    acc.addPlan(batchPlan(2, 2, 3));
    acc.addPlan(batchPlan(0, 2, 3));
    const plan = acc.plan();
    expect(plan.repositories.map((r) => r.name)).toEqual(['r0000', 'r0001', 'r0002', 'r0003']);
    expect(plan.repositories[0]?.keep).toHaveLength(1);
    expect(plan.summary).toEqual({ repositories: 4, tags: 16, kept: 4, deleteDigests: 12, deleteTags: 12, untagTags: 0 });
    acc.addLedger({ untagged: [], deleted: [{ repository: 'b', digest: digest(2), tags: ['x', 'y'] }, { repository: 'a', digest: digest(3), tags: [] }], skipped: [], failed: [], notAttempted: [] });
    expect(acc.sortedLedger().deleted.map((d) => d.repository)).toEqual(['a', 'b']);
    expect(acc.totals).toEqual({ deleted: 2, tagsDeleted: 2, skipped: 0, failed: 0, notAttempted: 0, untagged: 0 });
  });

  it('bounded: keeps no kept-tag lists and the first deletions and ledger entries only, with whole totals', () => {
    const acc = new RunAccumulator('reg', 'p', true);
    for (let batch = 0; batch < 5; batch++) acc.addPlan(batchPlan(batch * 10, 10, 10));
    const plan = acc.plan();
    expect(plan.summary.deleteDigests).toBe(500);
    expect(plan.repositories.every((r) => r.keep.length === 0)).toBe(true);
    expect(plan.repositories.flatMap((r) => r.delete)).toHaveLength(BOUNDED_REPORT_ENTRIES);
    const many = Array.from({ length: 250 }, (_, i) => ({ repository: 'r', digest: digest(i), tags: ['a'] }));
    acc.addLedger({ untagged: [], deleted: many, skipped: [], failed: many.map((m) => ({ ...m, error: 'e' })), notAttempted: [] });
    acc.addLedger({ untagged: [], deleted: many, skipped: [], failed: [], notAttempted: [] });
    expect(acc.sortedLedger().deleted).toHaveLength(BOUNDED_REPORT_ENTRIES);
    expect(acc.sortedLedger().failed).toHaveLength(BOUNDED_REPORT_ENTRIES);
    expect(acc.totals).toEqual({ deleted: 500, tagsDeleted: 500, skipped: 0, failed: 250, notAttempted: 0, untagged: 0 });
  });

  it('carries skipped repositories, sorted, and omits the field when there are none', () => {
    const acc = new RunAccumulator('reg', 'p', true);
    expect(acc.plan()).not.toHaveProperty('skippedRepositories');
    acc.addPlan({ ...batchPlan(0, 1, 1), skippedRepositories: [{ name: 'z', reason: 'limit' }] });
    acc.addPlan({ ...batchPlan(1, 1, 1), skippedRepositories: [{ name: 'a', reason: 'limit' }] });
    expect(acc.plan().skippedRepositories?.map((r) => r.name)).toEqual(['a', 'z']);
  });
});
