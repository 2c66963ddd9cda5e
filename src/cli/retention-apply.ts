/**
 * `dockmaster retention apply`: list and plan, show the plan, ask (or take --yes), delete with the
 * executor's re-checks, print what happened. Exit 0 done (or dry run), 1 when anything failed or
 * was not attempted (or the user declined), 2 bad input.
 */
import { createInterface } from 'node:readline/promises';
import { InputValidationError } from '../errors.js';
import { createRootLogger, silentLogger } from '../logging/logger.js';
import { executeRetentionPlan, planRetentionRun } from '../retention/run-retention.js';
import { renderPlanTable } from '../retention/plan-output.js';
import { renderRunReportTable, runReportToJson } from '../retention/report-output.js';
import type { RetentionRunReport } from '../retention/report.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { createProgressDisplay } from './retention-progress.js';
import { openRetentionTarget, type RetentionTargetOptions } from './retention-target.js';
import { inUseForCli, type InUseCliOptions } from './retention-in-use.js';

export interface RetentionApplyOptions extends RetentionTargetOptions, InUseCliOptions {
  yes?: boolean;
  dryRun?: boolean;
  output: 'table' | 'json';
}

export interface CommandStreams {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

async function confirmed(streams: CommandStreams, question: string): Promise<boolean> {
  const prompt = createInterface({ input: streams.stdin, output: streams.stderr });
  try {
    const answer = await prompt.question(question);
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

function printReport(streams: CommandStreams, options: RetentionApplyOptions, report: RetentionRunReport): number {
  if (options.output === 'json') streams.stdout.write(`${JSON.stringify(runReportToJson(report), null, 2)}\n`);
  else if (report.outcome === 'DryRun') streams.stdout.write('Dry run: nothing was deleted.\n');
  else streams.stdout.write(`\n${renderRunReportTable(report)}`);
  return report.outcome === 'Failed' || report.outcome === 'PartiallyFailed' ? EXIT_FAILURE : EXIT_OK;
}

export async function applyRetention(options: RetentionApplyOptions, streams: CommandStreams = process): Promise<number> {
  // Checked before any request: a script without --yes must fail fast, not after a long listing.
  if (!options.yes && !options.dryRun && !streams.stdin.isTTY) {
    throw new InputValidationError('command line', [
      { path: '--yes', message: 'stdin is not a terminal, so apply cannot ask for confirmation: pass --yes to delete without asking (or --dry-run to see the plan)' },
    ]);
  }
  // Structured logs when nobody watches a terminal; on a terminal the bar and the report say it.
  const logger = streams.stderr.isTTY ? silentLogger() : createRootLogger();
  const target = await openRetentionTarget(options, { logger });
  const common = { client: target.client, registry: target.url, policyName: target.policyName, logger };
  try {
    const inUse = await inUseForCli(options, target, !options.dryRun);
    const planning = createProgressDisplay(streams.stderr);
    const planned = await planRetentionRun({ ...common, ...inUse, spec: target.policy.spec, canUntag: options.untag ?? false, onProgress: (p) => planning.update(p) }).finally(() => planning.stop());
    const { plan } = planned;
    if (options.output === 'table') streams.stdout.write(renderPlanTable(plan));
    if (options.dryRun) {
      return printReport(streams, options, { outcome: 'DryRun', plan, deleted: [], untagged: [], skipped: [], failed: [], notAttempted: [], startTime: planned.startTime, completionTime: new Date() });
    }
    const { deleteDigests, deleteTags, untagTags } = plan.summary;
    if (!options.yes && deleteDigests + untagTags > 0) {
      const untags = untagTags > 0 ? ` and untag ${untagTags} tags (manifests kept)` : '';
      const question = `Delete ${deleteDigests} digests (${deleteTags} tags)${untags} from ${target.url}? Type "yes" to continue: `;
      if (!(await confirmed(streams, question))) {
        streams.stderr.write('Apply cancelled: nothing was deleted.\n');
        return EXIT_FAILURE;
      }
    }
    // Ctrl-C stops before the next DELETE; the report still says what was done.
    const abort = new AbortController();
    const onSigint = (): void => abort.abort();
    process.once('SIGINT', onSigint);
    const deleting = createProgressDisplay(streams.stderr);
    try {
      const report = await executeRetentionPlan(planned, { ...common, signal: abort.signal, onProgress: (p) => deleting.update(p) });
      deleting.stop();
      return printReport(streams, options, report);
    } finally {
      deleting.stop();
      process.removeListener('SIGINT', onSigint);
    }
  } finally {
    await target.client.close();
  }
}
