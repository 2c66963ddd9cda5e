/**
 * The report of a retention run as `dockmaster retention apply` prints it: the stable JSON shape
 * of `--output json` (documented in docs/retention.md) and a table for people.
 */
import type { RetentionPlan } from './plan.js';
import type { DeletedManifest, FailedDelete, RetentionOutcome, RetentionRunReport, SkippedDelete, UntaggedTag } from './report.js';

export interface RetentionRunReportJson {
  outcome: RetentionOutcome;
  registry: string;
  policy: string;
  startTime: string;
  completionTime: string;
  /** Why the run failed or stopped early; absent when it ran to the end. */
  error?: string;
  summary: {
    plannedDigests: number;
    deletedDigests: number;
    deletedTags: number;
    plannedUntags: number;
    untaggedTags: number;
    skipped: number;
    failed: number;
    notAttempted: number;
  };
  deleted: DeletedManifest[];
  untagged: UntaggedTag[];
  skipped: SkippedDelete[];
  failed: FailedDelete[];
  notAttempted: DeletedManifest[];
  plan: RetentionPlan;
}

export function runReportToJson(report: RetentionRunReport): RetentionRunReportJson {
  return {
    outcome: report.outcome,
    registry: report.plan.registry,
    policy: report.plan.policy,
    startTime: report.startTime.toISOString(),
    completionTime: report.completionTime.toISOString(),
    ...(report.error !== undefined ? { error: report.error } : {}),
    summary: {
      plannedDigests: report.plan.summary.deleteDigests,
      deletedDigests: report.deleted.length,
      deletedTags: report.deleted.reduce((n, d) => n + d.tags.length, 0),
      plannedUntags: report.plan.summary.untagTags,
      untaggedTags: report.untagged.length,
      skipped: report.skipped.length,
      failed: report.failed.length,
      notAttempted: report.notAttempted.length,
    },
    deleted: report.deleted,
    untagged: report.untagged,
    skipped: report.skipped,
    failed: report.failed,
    notAttempted: report.notAttempted,
    plan: report.plan,
  };
}

const where = (d: DeletedManifest): string => `${d.repository}@${d.digest}${d.tags.length > 0 ? ` (${d.tags.join(', ')})` : ' (untagged)'}`;

/** What happened, for people: the lists, then one summary line. The plan is printed before the run. */
export function renderRunReportTable(report: RetentionRunReport): string {
  const json = runReportToJson(report);
  const lines: string[] = [];
  const section = (title: string, items: string[]): void => {
    if (items.length === 0) return;
    lines.push(`${title}:`, ...items.map((item) => `  ${item}`), '');
  };
  section('Deleted', report.deleted.map(where));
  section('Untagged (manifest kept)', report.untagged.map((u) => `${u.repository}:${u.tag} (${u.digest})`));
  section('Skipped', report.skipped.map((s) => `${where(s)}: ${s.reason}`));
  section('Failed', report.failed.map((f) => `${where(f)}: ${f.error}`));
  section('Not attempted', report.notAttempted.map(where));
  if (report.error !== undefined) lines.push(`Stopped: ${report.error}`, '');
  const s = json.summary;
  lines.push(
    `Outcome: ${report.outcome}: ${s.deletedDigests} of ${s.plannedDigests} planned digests deleted (${s.deletedTags} tags), ` +
      (s.plannedUntags > 0 ? `${s.untaggedTags} of ${s.plannedUntags} planned untags done, ` : '') +
      `${s.skipped} skipped, ${s.failed} failed, ${s.notAttempted} not attempted.`,
  );
  return `${lines.join('\n')}\n`;
}

