import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AdmissionMetrics } from '../../../src/admission/webhook/admission-metrics.js';
import { GarbageCollectionMetrics } from '../../../src/controllers/registry-gc/metrics.js';
import { RetentionMetrics } from '../../../src/controllers/retention-policy/metrics.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import { promqlCheckBinary } from '../../tools/binaries.js';

import { PullTrackingMetrics } from '../../../src/pull-tracking/metrics.js';

const run = promisify(execFile);
const RULES = 'deploy/monitoring/prometheus-rule.yaml';
const DASHBOARD = 'deploy/monitoring/grafana-dashboard.json';

/** Every metric the operator and the webhook export (both run RuntimeMetrics; each adds its own). */
function exportedMetrics(): Set<string> {
  const registry = new RuntimeMetrics().registry as Registry;
  new RetentionMetrics(registry);
  new GarbageCollectionMetrics(registry);
  new AdmissionMetrics(registry);
  new PullTrackingMetrics(registry);
  return new Set(registry.getMetricsAsArray().map((m) => m.name));
}

interface Checked {
  source: string;
  name: string;
  metrics: string[];
}

/** promql-check: Prometheus's own rulefmt and PromQL parser (test/tools/promql-check). */
async function check(...args: string[]): Promise<{ code: number; expressions: Checked[]; stderr: string }> {
  try {
    const { stdout, stderr } = await run(promqlCheckBinary(), args);
    return { code: 0, expressions: JSON.parse(stdout) as Checked[], stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, expressions: [], stderr: failed.stderr };
  }
}

/** Series Prometheus itself writes for every scrape target. */
const SCRAPE_SERIES = new Set(['up']);

/** A histogram's series (_bucket, _sum, _count) read as the histogram. */
const metricOf = (series: string): string => series.replace(/_(bucket|sum|count)$/, '');

describe('deploy/monitoring under Prometheus\'s own parsers', () => {
  it('every alert and every dashboard query parses, and names only metrics the operator or the webhook exports', async () => {
    const { code, expressions, stderr } = await check(RULES, '--', DASHBOARD);
    expect(code, stderr).toBe(0);
    expect(expressions.filter((e) => e.source === RULES).length).toBe(9);
    expect(expressions.filter((e) => e.source === DASHBOARD).length).toBeGreaterThan(8);
    const exported = exportedMetrics();
    const unknown = expressions.flatMap((e) => e.metrics.filter((m) => !exported.has(metricOf(m)) && !SCRAPE_SERIES.has(m)).map((m) => `${e.name}: ${m}`));
    expect(unknown).toEqual([]);
    // Every expression selects at least one series (time() alone would alert on nothing).
    expect(expressions.filter((e) => e.metrics.length === 0).map((e) => e.name)).toEqual([]);
  });

  it('the checker refuses a broken rule, naming the alert (so a green run means something)', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/promql-check-');
    await writeFile(`${dir}/bad.yaml`, 'groups: [{name: x, rules: [{alert: Broken, expr: "rate(dockmaster_reconcile_total[5m]"}]}]\n');
    const { code, stderr } = await check(`${dir}/bad.yaml`);
    expect(code).toBe(1);
    expect(stderr).toMatch(/"Broken": could not parse expression: .*unclosed left parenthesis/);
  });
});
