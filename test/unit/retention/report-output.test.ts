/** The apply report: stable JSON shape and the table people read. */
import { describe, expect, it } from 'vitest';
import { renderRunReportTable, runReportToJson } from '../../../src/retention/report-output.js';
import type { RetentionRunReport } from '../../../src/retention/report.js';
import { digestOf } from './fixtures.js';

const report: RetentionRunReport = {
  outcome: 'PartiallyFailed',
  plan: {
    registry: 'https://r.example',
    policy: 'ns/web',
    repositories: [],
    summary: { repositories: 2, tags: 10, kept: 6, deleteDigests: 4, deleteTags: 3, untagTags: 0 },
  },
  deleted: [{ repository: 'app', digest: digestOf(1), tags: ['v1', 'v1.0'] }],
  untagged: [],
  skipped: [{ repository: 'app', digest: digestOf(2), tags: ['v2'], reason: `tag v2 moved to ${digestOf(9)} since the plan` }],
  failed: [{ repository: 'lib', digest: digestOf(3), tags: [], error: 'DELETE … failed with HTTP 503' }],
  notAttempted: [{ repository: 'lib', digest: digestOf(4), tags: ['old'] }],
  error: 'stopped after 5 consecutive failures; last: DELETE … failed with HTTP 503',
  startTime: new Date('2026-06-01T00:00:00Z'),
  completionTime: new Date('2026-06-01T00:00:05Z'),
};

describe('runReportToJson', () => {
  it('has the documented shape', () => {
    const json = runReportToJson(report);
    expect(Object.keys(json)).toEqual(['outcome', 'registry', 'policy', 'startTime', 'completionTime', 'error', 'summary', 'deleted', 'untagged', 'skipped', 'failed', 'notAttempted', 'plan']);
    expect(json.summary).toEqual({ plannedDigests: 4, deletedDigests: 1, deletedTags: 2, plannedUntags: 0, untaggedTags: 0, skipped: 1, failed: 1, notAttempted: 1 });
    expect(json.startTime).toBe('2026-06-01T00:00:00.000Z');
  });
});

describe('renderRunReportTable', () => {
  it('lists each kind with its reason and ends with the outcome', () => {
    const text = renderRunReportTable(report);
    expect(text).toContain(`Deleted:\n  app@${digestOf(1)} (v1, v1.0)`);
    expect(text).toContain(`Skipped:\n  app@${digestOf(2)} (v2): tag v2 moved to`);
    expect(text).toContain(`Failed:\n  lib@${digestOf(3)} (untagged): DELETE`);
    expect(text).toContain(`Not attempted:\n  lib@${digestOf(4)} (old)`);
    expect(text.trimEnd().split('\n').at(-1)).toBe('Outcome: PartiallyFailed: 1 of 4 planned digests deleted (2 tags), 1 skipped, 1 failed, 1 not attempted.');
  });
});
