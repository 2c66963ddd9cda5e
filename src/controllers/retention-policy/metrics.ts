/**
 * Prometheus metrics of retention runs, on the operator's metrics registry (RuntimeMetrics.registry)
 * so they appear on /metrics beside the runtime's (shared collectors: runtime/shared-metrics.ts).
 */
import { Registry, type Counter, type Gauge, type Histogram } from 'prom-client';
import { sharedCounter, sharedGauge, sharedHistogram } from '../../runtime/shared-metrics.js';
import { runTotals, type RetentionRunReport } from '../../retention/report.js';

export class RetentionMetrics {
  readonly tagsEvaluated: Counter<'policy'>;
  readonly digestsDeleted: Counter<'policy'>;
  readonly runs: Counter<'policy' | 'result'>;
  readonly runDuration: Histogram<'result'>;
  readonly consecutiveFailures: Gauge<'policy'>;
  private readonly failuresInARow = new Map<string, number>();

  constructor(registry: Registry = new Registry()) {
    this.tagsEvaluated = sharedCounter(registry, { name: 'dockmaster_retention_tags_evaluated_total', help: 'Tags in scope evaluated by retention runs, per policy (namespace/name).', labelNames: ['policy'] });
    this.digestsDeleted = sharedCounter(registry, { name: 'dockmaster_retention_digests_deleted_total', help: 'Manifests deleted by digest by retention runs (dry runs excluded), per policy.', labelNames: ['policy'] });
    this.runs = sharedCounter(registry, { name: 'dockmaster_retention_runs_total', help: 'Retention runs finished, per policy and result (Succeeded, PartiallyFailed, Failed, DryRun).', labelNames: ['policy', 'result'] });
    this.runDuration = sharedHistogram(registry, {
      name: 'dockmaster_retention_run_duration_seconds',
      help: 'Wall time of retention runs (listing, planning and deletes), per result.',
      labelNames: ['result'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    });
    this.consecutiveFailures = sharedGauge(registry, {
      name: 'dockmaster_retention_consecutive_failures',
      help: 'Runs of a policy in a row that ended Failed or PartiallyFailed (0 after a Succeeded or DryRun run); counted since the operator started.',
      labelNames: ['policy'],
    });
  }

  observeRun(policy: string, report: RetentionRunReport): void {
    const result = report.outcome;
    this.runs.inc({ policy, result });
    this.tagsEvaluated.inc({ policy }, report.plan.summary.tags);
    const deleted = runTotals(report).deleted;
    if (deleted > 0) this.digestsDeleted.inc({ policy }, deleted);
    const seconds = (report.completionTime.getTime() - report.startTime.getTime()) / 1000;
    this.runDuration.observe({ result }, Math.max(0, seconds));
    const failed = result === 'Failed' || result === 'PartiallyFailed';
    const inARow = failed ? (this.failuresInARow.get(policy) ?? 0) + 1 : 0;
    this.failuresInARow.set(policy, inARow);
    this.consecutiveFailures.set({ policy }, inARow);
  }
}
