import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AdmissionMetrics } from '../../../src/admission/webhook/admission-metrics.js';
import { GarbageCollectionMetrics } from '../../../src/controllers/registry-gc/metrics.js';
import { RetentionMetrics } from '../../../src/controllers/retention-policy/metrics.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';

const read = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

/** Every metric the operator and the webhook export (both run RuntimeMetrics; each adds its own). */
function exportedMetrics(): Set<string> {
  const registry = new RuntimeMetrics().registry as Registry;
  new RetentionMetrics(registry);
  new GarbageCollectionMetrics(registry);
  new AdmissionMetrics(registry);
  return new Set(registry.getMetricsAsArray().map((m) => m.name));
}

/** dockmaster_* names in a PromQL expression, a histogram's _bucket/_sum/_count read as the histogram. */
const metricNames = (expr: string): string[] => [...expr.matchAll(/\bdockmaster_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));

interface Rule {
  alert: string;
  expr: string;
  annotations: { runbook: string };
}

describe('deploy/monitoring', () => {
  const rules = (parse(read('deploy/monitoring/prometheus-rule.yaml')) as { spec: { groups: Array<{ rules: Rule[] }> } }).spec.groups.flatMap((g) => g.rules);
  const dashboard = JSON.parse(read('deploy/monitoring/grafana-dashboard.json')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };

  it('names only metrics the operator or the webhook exports, in every alert and every panel', () => {
    const exported = exportedMetrics();
    const named = [...rules.map((r) => r.expr), ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr))].flatMap(metricNames);
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('has the alerts that matter, each with a runbook section in docs/troubleshooting.md', () => {
    expect(rules.map((r) => r.alert)).toEqual([
      'DockmasterGarbageCollectionFailed',
      'DockmasterRegistryReadOnlyTooLong',
      'DockmasterRetentionFailing',
      'DockmasterWebhookCertificateExpiresSoon',
      'DockmasterWebhookSlow',
      'DockmasterWebhookDown',
      'DockmasterNoLeader',
      'DockmasterReconcileErrors',
    ]);
    const troubleshooting = read('docs/troubleshooting.md');
    for (const rule of rules) {
      expect(rule.annotations.runbook).toBe(`docs/troubleshooting.md#${rule.alert.toLowerCase()}`);
      expect(troubleshooting, rule.alert).toContain(`### ${rule.alert}`);
    }
  });

  it('has panels for GC, retention, admission and the controllers', () => {
    const text = JSON.stringify(dashboard.panels.map((p) => p.targets.map((t) => t.expr)));
    for (const metric of ['dockmaster_gc_bytes_freed_total', 'dockmaster_retention_digests_deleted_total', 'dockmaster_admission_reviews_total', 'dockmaster_admission_review_duration_seconds_bucket', 'dockmaster_reconcile_total', 'dockmaster_workqueue_depth']) {
      expect(text).toContain(metric);
    }
  });
});
