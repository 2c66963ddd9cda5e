import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { GarbageCollectionMetrics } from '../../../src/controllers/registry-gc/metrics.js';
import { RetentionMetrics } from '../../../src/controllers/retention-policy/metrics.js';
import type { RetentionRunReport } from '../../../src/retention/report.js';

const value = async (registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> =>
  (await registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;

const report = (outcome: RetentionRunReport['outcome']): RetentionRunReport => ({
  outcome,
  plan: { registry: 'r', policy: 'ns/p', repositories: [], summary: { repositories: 0, tags: 0, kept: 0, deleteDigests: 0, deleteTags: 0, untagTags: 0 } },
  deleted: [], untagged: [], skipped: [], failed: [], notAttempted: [],
  startTime: new Date(0), completionTime: new Date(1000),
});

describe('metrics the alerts read', () => {
  it('dockmaster_retention_consecutive_failures counts Failed and PartiallyFailed runs in a row, back to 0 on success', async () => {
    const registry = new Registry();
    const metrics = new RetentionMetrics(registry);
    for (const outcome of ['Failed', 'PartiallyFailed', 'Failed'] as const) metrics.observeRun('ns/p', report(outcome));
    expect(await value(registry, 'dockmaster_retention_consecutive_failures', { policy: 'ns/p' })).toBe(3);
    metrics.observeRun('ns/p', report('Succeeded'));
    expect(await value(registry, 'dockmaster_retention_consecutive_failures', { policy: 'ns/p' })).toBe(0);
  });

  it('dockmaster_gc_read_only_deadline_timestamp_seconds is the deadline while read-only, 0 otherwise, and goes with the Registry', async () => {
    const registry = new Registry();
    const metrics = new GarbageCollectionMetrics(registry);
    metrics.observeWindow('ns/r', { phase: 'Collecting', readOnly: true, deadline: '2026-12-02T10:30:00Z' } as never);
    expect(await value(registry, 'dockmaster_gc_read_only_deadline_timestamp_seconds', { registry: 'ns/r' })).toBe(Date.parse('2026-12-02T10:30:00Z') / 1000);
    metrics.observeWindow('ns/r', { phase: 'Idle', readOnly: false } as never);
    expect(await value(registry, 'dockmaster_gc_read_only_deadline_timestamp_seconds', { registry: 'ns/r' })).toBe(0);
    metrics.forget('ns/r');
    expect(await value(registry, 'dockmaster_gc_read_only_deadline_timestamp_seconds', { registry: 'ns/r' })).toBeUndefined();
  });
});
