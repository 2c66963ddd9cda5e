/**
 * What a finished run becomes in the RetentionPolicy's status and Events: counts, a short message
 * with the first errors, and for dry runs a bounded summary of the plan. Pure. Status must stay
 * small (etcd objects are capped at 1.5 MiB and every watcher receives each update), so lists are
 * cut and the full plan goes to the logs.
 */
import { DockmasterError } from '../../errors.js';
import type { RetentionPlanSummary as StatusPlanSummary, RetentionRun } from '../../api/retention-policy.js';
import type { RetentionPlan } from '../../retention/plan.js';
import { runTotals, type RetentionRunReport } from '../../retention/report.js';
import * as C from '../../api/retention-policy-conditions.js';
import type { ScheduleTrigger } from '../../api/run-schedule.js';

/** The CRD's bounds (src/api/retention-policy.ts): at most 50 deletions, 20 tags each. */
export const PLAN_SUMMARY_MAX_DELETIONS = 50;
export const PLAN_SUMMARY_MAX_TAGS = 20;
const MAX_MESSAGE = 4096;
const MAX_ERRORS_IN_MESSAGE = 3;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** How many errors a run had (its lists may be cut: the counts are whole). */
export function runErrorCount(report: RetentionRunReport): number {
  return (report.error ? 1 : 0) + (report.plan.skippedRepositories?.length ?? 0) + runTotals(report).failed;
}

/** The first errors of a run, for the message and the Warning event. */
export function runErrors(report: RetentionRunReport): string[] {
  const errors = report.error ? [report.error] : [];
  for (const skipped of report.plan.skippedRepositories ?? []) errors.push(`repository ${skipped.name} skipped: ${skipped.reason}`);
  for (const failed of report.failed) errors.push(`DELETE ${failed.repository}@${failed.digest}: ${failed.error}`);
  return errors;
}

export function describeRun(report: RetentionRunReport): string {
  const summary = report.plan.summary;
  const repositories = plural(summary.repositories, 'repository', 'repositories');
  let text: string;
  if (report.outcome === 'DryRun') {
    const untags = summary.untagTags > 0 ? ` and untag ${plural(summary.untagTags, 'tag')} (manifests kept)` : '';
    text = `Dry run: would delete ${plural(summary.deleteDigests, 'manifest')} (${plural(summary.deleteTags, 'tag')})${untags} of ${summary.tags} in ${repositories}; nothing deleted.`;
  } else {
    const totals = runTotals(report);
    const untags = totals.untagged > 0 ? ` and untagged ${plural(totals.untagged, 'tag')} (manifests kept)` : '';
    text = `Deleted ${plural(totals.deleted, 'manifest')} (${plural(totals.tagsDeleted, 'tag')})${untags} of ${summary.tags} in ${repositories}.`;
    if (totals.skipped > 0) text += ` Skipped ${totals.skipped} (tags moved since the plan; the next run re-plans them).`;
    if (totals.notAttempted > 0) text += ` ${totals.notAttempted} planned deletes not attempted.`;
  }
  if ((summary.keptInUse ?? 0) > 0) text += ` Kept ${plural(summary.keptInUse ?? 0, 'tag')} only because the cluster runs them.`;
  for (const note of report.plan.notes ?? []) text += ` Note: ${note}.`;
  const errors = runErrors(report);
  const errorCount = runErrorCount(report);
  if (errorCount > 0) {
    const shown = errors.slice(0, MAX_ERRORS_IN_MESSAGE).join('; ');
    const more = errorCount > MAX_ERRORS_IN_MESSAGE ? ` (and ${errorCount - Math.min(errors.length, MAX_ERRORS_IN_MESSAGE)} more in the operator logs)` : '';
    text += ` ${plural(errorCount, 'error')}: ${shown}${more}.`;
  }
  return truncate(text, MAX_MESSAGE);
}

/** status.lastRun from a report. In a dry run the deleted counts are what would have been deleted. */
export function lastRunFromReport(report: RetentionRunReport, trigger: ScheduleTrigger): RetentionRun {
  const summary = report.plan.summary;
  const dryRun = report.outcome === 'DryRun';
  return {
    startTime: report.startTime.toISOString(),
    completionTime: report.completionTime.toISOString(),
    result: report.outcome,
    repositories: summary.repositories,
    tagsEvaluated: summary.tags,
    digestsDeleted: dryRun ? summary.deleteDigests : runTotals(report).deleted,
    tagsDeleted: dryRun ? summary.deleteTags : runTotals(report).tagsDeleted,
    ...(summary.untagTags > 0 && { tagsUntagged: dryRun ? summary.untagTags : runTotals(report).untagged }),
    ...(summary.keptInUse !== undefined && { tagsKeptInUse: summary.keptInUse }),
    errors: runErrorCount(report),
    message: describeRun(report),
    trigger,
  };
}

/** status.planSummary: the plan's counts and its first deletions, within the CRD's bounds. */
export function boundedPlanSummary(plan: RetentionPlan): StatusPlanSummary {
  const deletions: NonNullable<StatusPlanSummary['deletions']> = [];
  let total = 0;
  for (const repository of plan.repositories) {
    for (const entry of repository.delete) {
      total++;
      if (deletions.length >= PLAN_SUMMARY_MAX_DELETIONS) continue;
      deletions.push({
        repository: truncate(repository.name, 512),
        digest: entry.digest,
        tags: entry.tags.slice(0, PLAN_SUMMARY_MAX_TAGS).map((tag) => truncate(tag, 128)),
        reason: truncate(entry.reason, 256),
      });
    }
    for (const entry of repository.untag) {
      total++;
      if (deletions.length >= PLAN_SUMMARY_MAX_DELETIONS) continue;
      deletions.push({ repository: truncate(repository.name, 512), digest: entry.digest, tags: [truncate(entry.tag, 128)], reason: truncate(entry.reason, 256) });
    }
  }
  return {
    repositories: plan.summary.repositories,
    tags: plan.summary.tags,
    kept: plan.summary.kept,
    deleteDigests: plan.summary.deleteDigests,
    deleteTags: plan.summary.deleteTags,
    ...(plan.summary.untagTags > 0 && { untagTags: plan.summary.untagTags }),
    ...(plan.summary.keptInUse !== undefined && { keptInUse: plan.summary.keptInUse }),
    deletions,
    // The plan's lists may be cut (a bounded report): its summary has the whole count.
    omittedDeletions: Math.max(total, plan.summary.deleteDigests + plan.summary.untagTags) - deletions.length,
  };
}

export interface RunEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The Event a run deserves: only runs that deleted (or would delete) something, or failed. */
export function runEvent(report: RetentionRunReport): RunEvent | undefined {
  const message = describeRun(report);
  switch (report.outcome) {
    case 'Failed':
      return { type: 'Warning', reason: C.EVENT_RUN_FAILED, message };
    case 'PartiallyFailed':
      return { type: 'Warning', reason: C.EVENT_RUN_PARTIALLY_FAILED, message };
    case 'DryRun':
      return report.plan.summary.deleteDigests > 0 ? { type: 'Normal', reason: C.EVENT_DRY_RUN_PLANNED, message } : undefined;
    case 'Succeeded':
      return runTotals(report).deleted > 0 ? { type: 'Normal', reason: C.EVENT_RUN_SUCCEEDED, message } : undefined;
  }
}

/** A report for a run that could not start or threw: the status then tells why, and Running is cleared. */
/**
 * A run against an external registry, as its status and Events may show it: no network detail.
 * spec.external.url is whatever a tenant typed, an internal or link-local address included; if
 * the status told "connection refused" from "HTTP 403", a RetentionPolicy would be a port scanner
 * for the operator's network. The detail stays in the operator's log.
 */
/** Errors about the operator itself, not the network: shown as they are. */
const OPERATOR_OWN_ERRORS: ReadonlySet<string> = new Set(['DM_ERR_RETENTION_MEMORY_BUSY', 'DM_ERR_RETENTION_IN_USE_UNAVAILABLE']);

export function withoutNetworkDetail(report: RetentionRunReport): RetentionRunReport {
  const generic = 'reading or writing the external registry failed; the operator log has the detail (not shown here, so that a policy cannot probe the network)';
  return {
    ...report,
    // The operator's own refusal (its memory budget) says nothing about the network: kept.
    ...(report.error !== undefined && !OPERATOR_OWN_ERRORS.has(report.errorCode ?? '') && { error: generic }),
    failed: report.failed.map((f) => ({ ...f, error: 'the DELETE failed' })),
  };
}

export function failedReport(registry: string, policy: string, error: unknown, startTime: Date, completionTime: Date): RetentionRunReport {
  const plan: RetentionPlan = { registry, policy, repositories: [], summary: { repositories: 0, tags: 0, kept: 0, deleteDigests: 0, deleteTags: 0, untagTags: 0 } };
  const message = error instanceof Error ? error.message : String(error);
  const errorCode = error instanceof DockmasterError ? error.code : undefined;
  return { outcome: 'Failed', plan, deleted: [], untagged: [], skipped: [], failed: [], notAttempted: [], error: message, ...(errorCode && { errorCode }), startTime, completionTime };
}
