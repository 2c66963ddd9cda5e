/**
 * Prometheus metrics of retention runs, on the operator's metrics registry (RuntimeMetrics.registry)
 * so they appear on /metrics beside the runtime's. Looked up before created: two controllers on
 * one registry (tests run several managers in one process) share the same collectors.
 */
import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { runTotals, type RetentionRunReport } from '../../retention/report.js';

export class RetentionMetrics {
  readonly tagsEvaluated: Counter<'policy'>;
  readonly digestsDeleted: Counter<'policy'>;
  readonly runs: Counter<'policy' | 'result'>;
  readonly runDuration: Histogram<'result'>;
  readonly consecutiveFailures: Gauge<'policy'>;
  private readonly failuresInARow = new Map<string, number>();

  constructor(registry: Registry = new Registry()) {
    const registers = [registry];
    const existing = <T extends Metric>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined;
    this.tagsEvaluated =
      existing<Counter<'policy'>>('dockmaster_retention_tags_evaluated_total') ??
      new Counter({ name: 'dockmaster_retention_tags_evaluated_total', help: 'Tags in scope evaluated by retention runs, per policy (namespace/name).', labelNames: ['policy'], registers });
    this.digestsDeleted =
      existing<Counter<'policy'>>('dockmaster_retention_digests_deleted_total') ??
      new Counter({ name: 'dockmaster_retention_digests_deleted_total', help: 'Manifests deleted by digest by retention runs (dry runs excluded), per policy.', labelNames: ['policy'], registers });
    this.runs =
      existing<Counter<'policy' | 'result'>>('dockmaster_retention_runs_total') ??
      new Counter({ name: 'dockmaster_retention_runs_total', help: 'Retention runs finished, per policy and result (Succeeded, PartiallyFailed, Failed, DryRun).', labelNames: ['policy', 'result'], registers });
    this.runDuration =
      existing<Histogram<'result'>>('dockmaster_retention_run_duration_seconds') ??
      new Histogram({
        name: 'dockmaster_retention_run_duration_seconds',
        help: 'Wall time of retention runs (listing, planning and deletes), per result.',
        labelNames: ['result'],
        buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
        registers,
      });
    this.consecutiveFailures =
      existing<Gauge<'policy'>>('dockmaster_retention_consecutive_failures') ??
      new Gauge({
        name: 'dockmaster_retention_consecutive_failures',
        help: 'Runs of a policy in a row that ended Failed or PartiallyFailed (0 after a Succeeded or DryRun run); counted since the operator started.',
        labelNames: ['policy'],
        registers,
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
