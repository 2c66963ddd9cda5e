/**
 * One retention run against a registry: build the v2 client from the resolved access, call the
 * engine, and turn anything thrown into a Failed report, so the caller always has a report to
 * record and always clears Running. The full plan goes to the logs (status holds a bounded summary).
 */
import type { RetentionPolicySpec } from '../../api/retention-policy.js';
import type { Logger } from '../../logging/logger.js';
import { RegistryV2Client, type AddressPolicy } from '../../registry/client/index.js';
import { clientLimitsOf, runDeadlineSignal } from '../../retention/read-limits.js';
import type { RetentionRunOptions } from '../../retention/run-retention.js';
import { runTotals, type RetentionRunReport } from '../../retention/report.js';
import type { RegistryAccess } from './registry-access.js';
import { TagReservation, type TagBudget } from '../../retention/tag-budget.js';
import { failedReport, runErrorCount, withoutNetworkDetail } from './run-summary.js';
import { DockmasterError } from '../../errors.js';
import { IN_USE_IGNORED_NOTE, usageForRegistry } from '../../retention/in-use.js';
import type { PullRecords } from '../../retention/pull-records.js';
import type { InUseCollection } from '../../retention/in-use-collector.js';

/** The operator's runs keep a bounded report (runRetention's boundedReport): the status shows little, the log has all. */
export type RetentionRunner = (options: RetentionRunOptions & { boundedReport?: boolean }) => Promise<RetentionRunReport>;

export interface RunRequest {
  access: RegistryAccess;
  /** The URL to reach the registry at (the resolver's answer for managed registries). */
  url: string;
  policyKey: string;
  spec: RetentionPolicySpec;
  now: () => Date;
  log: Logger;
  /** Where a run against spec.external may connect (the admin's externalRegistries). */
  addressPolicy?: AddressPolicy;
  /** Stops the run early (its controller stopped); the run's own deadline applies as well. */
  signal?: AbortSignal;
  /** The operator-wide tag budget the run's listing takes from, given back when it ends. */
  tagBudget?: TagBudget;
  /** Reads what the cluster runs (in-use-collector.ts); not called when spec.inUse is Ignore. */
  collectInUse: (signal?: AbortSignal) => Promise<InUseCollection>;
  /** Reads the registry's pull records (pull-tracking/store.ts); undefined: none (pull rules keep everything). */
  readPulls?: () => Promise<PullRecords | undefined>;
}

/** planRetention's in-use inputs for this run, or the reason the run may not delete. */
async function inUseInputs(request: RunRequest, signal: AbortSignal): Promise<Pick<RetentionRunOptions, 'inUse' | 'policyNamespace' | 'notes'>> {
  const policyNamespace = request.policyKey.split('/')[0] ?? '';
  if (request.spec.inUse === 'Ignore') return { policyNamespace, notes: [IN_USE_IGNORED_NOTE] };
  let collection: InUseCollection;
  try {
    collection = await request.collectInUse(signal);
  } catch (error) {
    throw new DockmasterError(
      'DM_ERR_RETENTION_IN_USE_UNAVAILABLE',
      `reading what the cluster runs (Pods and workloads) failed, so nothing was deleted: ${error instanceof Error ? error.message : String(error)}. ` +
        'Check the operator\'s RBAC (list pods, deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs), or set spec.inUse: Ignore.',
    );
  }
  const inUse = usageForRegistry(collection.images, request.access.imageHosts);
  return { inUse, policyNamespace, ...(collection.note && { notes: [collection.note] }) };
}

export async function executeRetentionRun(runner: RetentionRunner, request: RunRequest): Promise<RetentionRunReport> {
  const { access, url, policyKey, spec, log } = request;
  const startTime = request.now();
  let client: RegistryV2Client | undefined;
  const reservation = request.tagBudget && new TagReservation(request.tagBudget);
  let report: RetentionRunReport;
  // The run's deadline (spec.maxDuration) bounds the listing and the deletes alike.
  const deadline = request.signal ? AbortSignal.any([runDeadlineSignal(spec), request.signal]) : runDeadlineSignal(spec);
  try {
    client = new RegistryV2Client({
      url,
      limits: clientLimitsOf(spec),
      signal: deadline,
      // A managed Registry is reached at its own in-cluster Service; a URL a tenant typed is checked.
      ...(spec.external && request.addressPolicy && { addressPolicy: request.addressPolicy }),
      // In-cluster registries without spec.tls serve plain HTTP, and external URLs say http:// only on purpose.
      allowPlainHttp: url.startsWith('http://'),
      ...(access.credentials ? { credentials: access.credentials } : {}),
      ...(access.caPem ? { caPem: access.caPem } : {}),
      ...(access.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
      logger: log,
    });
    const inUse = await inUseInputs(request, deadline);
    const pulls = await request.readPulls?.();
    report = await runner({
      ...inUse,
      ...(pulls && { pulls }),
      client, registry: url, policyName: policyKey, spec, dryRun: spec.dryRun, canUntag: access.canUntag, now: startTime, logger: log, signal: deadline, boundedReport: true,
      ...(reservation && { reserveTags: (count: number) => reservation.take(count), releaseTags: () => reservation.release() }),
    });
  } catch (error) {
    log.error({ err: error }, 'Retention run failed');
    report = failedReport(url, policyKey, error, startTime, request.now());
  } finally {
    reservation?.release();
    await client?.close();
  }
  logRunReport(log, report);
  return spec.external ? withoutNetworkDetail(report) : report;
}

/** The run's summary line (each repository's deletions were logged as they were planned). */
function logRunReport(log: Logger, report: RetentionRunReport): void {
  log.info(
    {
      outcome: report.outcome,
      summary: report.plan.summary,
      ...runTotals(report),
      skippedFirst: report.skipped,
      failedFirst: report.failed,
      errors: runErrorCount(report),
      durationSeconds: (report.completionTime.getTime() - report.startTime.getTime()) / 1000,
    },
    'Finished retention run',
  );
}
