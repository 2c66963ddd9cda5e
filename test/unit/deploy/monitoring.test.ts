import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const read = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

// Which metrics the expressions name, checked with Prometheus's own parser: test/integration/deploy/monitoring-rules.test.ts.

interface Rule {
  alert: string;
  expr: string;
  annotations: { runbook: string };
}

describe('deploy/monitoring', () => {
  const rules = (parse(read('deploy/monitoring/prometheus-rule.yaml')) as { spec: { groups: Array<{ rules: Rule[] }> } }).spec.groups.flatMap((g) => g.rules);
  const dashboard = JSON.parse(read('deploy/monitoring/grafana-dashboard.json')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };

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
      'DockmasterPullTrackingBroken',
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
