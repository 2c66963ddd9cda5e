import { describe, expect, it } from 'vitest';
import { planSummarySchema, retentionRunSchema } from '../../../../src/api/retention-policy.js';
import { boundedPlanSummary, failedReport, lastRunFromReport, runEvent, withoutNetworkDetail } from '../../../../src/controllers/retention-policy/run-summary.js';
import type { RetentionPlan } from '../../../../src/retention/plan.js';
import type { RetentionRunReport } from '../../../../src/retention/report.js';

const digest = (i: number): string => `sha256:${i.toString(16).padStart(64, '0')}`;

function plan(deletes: number, tagsPerDelete = 1): RetentionPlan {
  const repositories = [0, 1].map((r) => ({
    name: `app/r${r}`,
    keep: [{ tag: 'latest', digest: digest(1000 + r), reason: 'protected tag' }],
    delete: Array.from({ length: deletes / 2 }, (_, i) => ({
      digest: digest(r * 500 + i),
      tags: Array.from({ length: tagsPerDelete }, (_, t) => `v${r}.${i}.${t}`),
      reason: 'deleted: not kept by any rule',
    })),
    untag: [],
  }));
  return { registry: 'http://r', policy: 'ns/p', repositories, summary: { repositories: 2, tags: deletes * tagsPerDelete + 2, kept: 2, deleteDigests: deletes, deleteTags: deletes * tagsPerDelete, untagTags: 0 } };
}

function report(outcome: RetentionRunReport['outcome'], p: RetentionPlan, extra: Partial<RetentionRunReport> = {}): RetentionRunReport {
  const deleted = outcome === 'DryRun' ? [] : p.repositories.flatMap((r) => r.delete.map((d) => ({ repository: r.name, digest: d.digest, tags: d.tags })));
  return { outcome, plan: p, deleted, untagged: [], skipped: [], failed: [], notAttempted: [], startTime: new Date('2026-03-01T02:00:00Z'), completionTime: new Date('2026-03-01T02:00:03Z'), ...extra };
}

describe('a bounded report (the operator keeps the first entries and whole totals)', () => {
  it('counts from the totals and the summary, not from the cut lists', () => {
    const cut = plan(4);
    const bounded = report('PartiallyFailed', { ...cut, summary: { ...cut.summary, deleteDigests: 5000, deleteTags: 5000 } }, {
      failed: [{ repository: 'app/r0', digest: digest(1), tags: ['a'], error: 'HTTP 500' }],
      totals: { deleted: 4000, tagsDeleted: 4100, skipped: 7, failed: 990, notAttempted: 3, untagged: 0 },
    });
    expect(lastRunFromReport(bounded, 'Schedule')).toMatchObject({ digestsDeleted: 4000, tagsDeleted: 4100, errors: 990 });
    expect(lastRunFromReport(bounded, 'Schedule').message).toMatch(/^Deleted 4000 manifests \(4100 tags\).*Skipped 7.*3 planned deletes not attempted.*990 errors: DELETE app\/r0@.*HTTP 500 \(and 989 more in the operator logs\)/);
    expect(boundedPlanSummary(bounded.plan).omittedDeletions).toBe(4996);
  });
});

describe('boundedPlanSummary', () => {
  it('lists at most 50 deletions with at most 20 tags each, counts the rest, and fits the CRD schema', () => {
    const summary = boundedPlanSummary(plan(120, 25));
    expect(summary.deletions).toHaveLength(50);
    expect(summary.omittedDeletions).toBe(70);
    expect(summary.deletions?.[0]?.tags).toHaveLength(20);
    expect(summary).toMatchObject({ repositories: 2, kept: 2, deleteDigests: 120, deleteTags: 3000 });
    expect(planSummarySchema.safeParse(summary).success).toBe(true);
  });

  it('lists every deletion of a small plan', () => {
    const summary = boundedPlanSummary(plan(4));
    expect(summary.deletions?.map((d) => d.repository)).toEqual(['app/r0', 'app/r0', 'app/r1', 'app/r1']);
    expect(summary.omittedDeletions).toBe(0);
  });
});

describe('lastRunFromReport', () => {
  it('counts what was deleted in a real run', () => {
    const lastRun = lastRunFromReport(report('Succeeded', plan(4, 2)), 'Schedule');
    expect(lastRun).toMatchObject({ result: 'Succeeded', repositories: 2, tagsEvaluated: 10, digestsDeleted: 4, tagsDeleted: 8, errors: 0, trigger: 'Schedule' });
    expect(lastRun.message).toBe('Deleted 4 manifests (8 tags) of 10 in 2 repositories.');
    expect(retentionRunSchema.safeParse(lastRun).success).toBe(true);
  });

  it('counts what would be deleted in a dry run', () => {
    const lastRun = lastRunFromReport(report('DryRun', plan(2)), 'RunNow');
    expect(lastRun).toMatchObject({ result: 'DryRun', digestsDeleted: 2, tagsDeleted: 2, trigger: 'RunNow' });
    expect(lastRun.message).toContain('Dry run: would delete 2 manifests');
  });

  it('names the first errors and counts them', () => {
    const failed = Array.from({ length: 5 }, (_, i) => ({ repository: 'app/r0', digest: digest(i), tags: [], error: `HTTP 500 #${i}` }));
    const lastRun = lastRunFromReport(report('PartiallyFailed', plan(2), { failed }), 'Schedule');
    expect(lastRun.errors).toBe(5);
    expect(lastRun.message).toContain('5 errors: DELETE app/r0@');
    expect(lastRun.message).toContain('(and 2 more in the operator logs)');
  });

  it('records a run that could not start as Failed with its error', () => {
    const r = failedReport('http://r', 'ns/p', new Error('connect ECONNREFUSED'), new Date(0), new Date(1000));
    expect(lastRunFromReport(r, 'Schedule')).toMatchObject({ result: 'Failed', errors: 1, message: expect.stringContaining('connect ECONNREFUSED') });
  });
});

describe('runEvent', () => {
  it('is emitted for runs that delete or fail, not for runs that change nothing', () => {
    expect(runEvent(report('Succeeded', plan(2)))).toMatchObject({ type: 'Normal', reason: 'RetentionRunSucceeded' });
    expect(runEvent(report('Succeeded', plan(0)))).toBeUndefined();
    expect(runEvent(report('DryRun', plan(0)))).toBeUndefined();
    expect(runEvent(report('DryRun', plan(2)))).toMatchObject({ type: 'Normal', reason: 'RetentionDryRunPlanned' });
    expect(runEvent(report('PartiallyFailed', plan(2)))).toMatchObject({ type: 'Warning', reason: 'RetentionRunPartiallyFailed' });
    expect(runEvent(failedReport('u', 'p', 'boom', new Date(0), new Date(0)))).toMatchObject({ type: 'Warning', reason: 'RetentionRunFailed' });
  });
});

describe('withoutNetworkDetail (external registries)', () => {
  it('tells a refused connection and an HTTP 403 apart nowhere in status or events', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const refused = withoutNetworkDetail(failedReport('http://169.254.169.254', 'ns/p', new Error('GET http://169.254.169.254/v2/: connect ECONNREFUSED'), now, now));
    const forbidden = withoutNetworkDetail(failedReport('http://10.0.0.1:5000', 'ns/p', new Error('GET http://10.0.0.1:5000/v2/: HTTP 403 Forbidden'), now, now));
    expect(refused.error).toBe(forbidden.error);
    expect(lastRunFromReport(refused, 'Schedule').message).toBe(lastRunFromReport(forbidden, 'Schedule').message);
    for (const text of [refused.error, lastRunFromReport(refused, 'Schedule').message, runEvent(refused)?.message]) {
      expect(text).not.toMatch(/ECONNREFUSED|403|169\.254/);
    }
  });
});
