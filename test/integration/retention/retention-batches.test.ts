/**
 * runRetention goes batch by batch of repositories (REPOSITORIES_PER_BATCH), so a run's memory is
 * its largest batch, not the registry. Against a real docker-registry with more repositories than
 * one batch: every batch is planned and deleted from, what is kept still pulls, the bounded
 * report (the operator's) keeps counts whole, and a whole-run limit met in a later batch stops
 * the run there with what earlier batches did reported (PartiallyFailed), never a delete from a
 * batch whose listing was cut short.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRetentionPolicy } from '../../../src/api/retention-policy.js';
import { RegistryV2Client } from '../../../src/registry/client/index.js';
import { REPOSITORIES_PER_BATCH, runRetention } from '../../../src/retention/run-retention.js';
import { pushImage } from '../../harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../../harness/registry.js';
import { pullCompletely } from './retention-scenario.js';

const REPOSITORIES = REPOSITORIES_PER_BATCH + 8;
const name = (i: number) => `batch/r${String(i).padStart(3, '0')}`;

describe('runRetention in batches of repositories', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startRegistry();
    await Promise.all(
      Array.from({ length: REPOSITORIES }, async (_, i) => {
        await pushImage(registry.url, name(i), { tags: ['old'], created: '2024-01-01T00:00:00Z', seed: `old-${i}` });
        await pushImage(registry.url, name(i), { tags: ['new'], created: '2024-06-01T00:00:00Z', seed: `new-${i}` });
      }),
    );
  }, 120_000);
  afterAll(async () => registry?.stop());

  const spec = (limits: Record<string, unknown> = {}) =>
    parseRetentionPolicy({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'RetentionPolicy', metadata: { name: 'b', namespace: 't' }, spec: { external: { url: registry.url }, keep: [{ mostRecent: 1 }], limits } }).spec;

  it('a dry run over more repositories than a batch plans them all; the bounded report keeps whole counts', async () => {
    const client = new RegistryV2Client({ url: registry.url, allowPlainHttp: true });
    try {
      const report = await runRetention({ client, registry: registry.url, policyName: 't/b', spec: spec(), dryRun: true, boundedReport: true });
      expect(report.outcome).toBe('DryRun');
      expect(report.plan.summary).toMatchObject({ repositories: REPOSITORIES, tags: 2 * REPOSITORIES, kept: REPOSITORIES, deleteDigests: REPOSITORIES });
      // Bounded: kept tags are counted, not listed.
      expect(report.plan.repositories.every((r) => r.keep.length === 0)).toBe(true);
      expect(report.plan.repositories.flatMap((r) => r.delete)).toHaveLength(REPOSITORIES);
    } finally {
      await client.close();
    }
  });

  it('a whole-run limit met in the second batch stops there: the first batch was done (PartiallyFailed), the second untouched', async () => {
    // Enough bytes for the first batch and its deletes, not for the second.
    const probe = new RegistryV2Client({ url: registry.url, allowPlainHttp: true });
    await runRetention({ client: probe, registry: registry.url, policyName: 't/b', spec: spec(), dryRun: true });
    const perRun = probe.bytesRead;
    await probe.close();
    const client = new RegistryV2Client({ url: registry.url, allowPlainHttp: true, limits: { maxBytesRead: Math.floor(perRun * 0.9) } });
    try {
      const report = await runRetention({ client, registry: registry.url, policyName: 't/b', spec: spec(), dryRun: false });
      expect(report.outcome).toBe('PartiallyFailed');
      expect(report.error).toMatch(/maxBytesRead/);
      expect(report.deleted).toHaveLength(REPOSITORIES_PER_BATCH);
      expect(new Set(report.deleted.map((d) => d.repository))).toEqual(new Set(Array.from({ length: REPOSITORIES_PER_BATCH }, (_, i) => name(i))));
    } finally {
      await client.close();
    }
    const check = new RegistryV2Client({ url: registry.url, allowPlainHttp: true });
    try {
      // The second batch still has both tags; every repository still pulls what it keeps.
      for (let i = REPOSITORIES_PER_BATCH; i < REPOSITORIES; i++) expect((await check.listTags(name(i))).sort()).toEqual(['new', 'old']);
      for (let i = 0; i < REPOSITORIES; i++) await pullCompletely(check, name(i), 'new');
      // A run with room finishes the job: the first batch has nothing left, the second converges.
      const report = await runRetention({ client: check, registry: registry.url, policyName: 't/b', spec: spec(), dryRun: false });
      expect(report.outcome).toBe('Succeeded');
      expect(report.deleted).toHaveLength(REPOSITORIES - REPOSITORIES_PER_BATCH);
    } finally {
      await check.close();
    }
  }, 120_000);
});
