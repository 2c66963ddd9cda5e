/**
 * Everything a registry sends is hostile until checked: against a hostile server on loopback
 * (test/harness/hostile-registry.ts), a retention run stays bounded in memory (RSS growth of this
 * process) and time, ends Failed with a reason that names what went wrong, and sends no DELETE.
 * A per-repository limit (endless tags) costs only that repository: it is skipped with its reason,
 * the healthy repository beside it is planned, and the run ends PartiallyFailed.
 * The runs use the shipped defaults, except the per-request deadline and the run's deadline,
 * shortened so the slow cases take seconds rather than the default two minutes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseRetentionPolicy, type RetentionPolicySpec } from '../../../src/api/retention-policy.js';
import { AddressPolicy, externalRegistriesConfigSchema, RegistryV2Client } from '../../../src/registry/client/index.js';
import { clientLimitsOf, runDeadlineSignal } from '../../../src/retention/read-limits.js';
import { runRetention } from '../../../src/retention/run-retention.js';
import { startHostileRegistry, type HostileMode, type HostileRegistry } from '../../harness/hostile-registry.js';

const MiB = 1024 * 1024;

function policyFor(url: string, extra: Record<string, unknown> = {}): RetentionPolicySpec {
  return parseRetentionPolicy({
    apiVersion: 'dockmaster.dev/v1alpha1',
    kind: 'RetentionPolicy',
    metadata: { name: 'hostile', namespace: 'test' },
    spec: { external: { url }, keep: [{ mostRecent: 1 }], maxDuration: '20s', limits: { requestDeadline: '2s' }, ...extra },
  }).spec;
}

interface Case {
  mode: HostileMode;
  /** The run's error names this. */
  reason: RegExp;
  /** Upper bounds, generous against CI noise but orders of magnitude under what an unbounded run takes. */
  maxSeconds: number;
  maxRssGrowthMiB: number;
  /** Failed unless said: a per-repository limit skips the repository and the run goes on. */
  outcome?: 'PartiallyFailed';
}

const CASES: Case[] = [
  { mode: 'endless-catalog', reason: /maxRepositories limit of 10000/, maxSeconds: 15, maxRssGrowthMiB: 64 },
  { mode: 'endless-tags', reason: /maxTagsPerRepository limit of 100000/, maxSeconds: 20, maxRssGrowthMiB: 96, outcome: 'PartiallyFailed' },
  { mode: 'huge-page', reason: /response body exceeds \d+ bytes/, maxSeconds: 15, maxRssGrowthMiB: 96 },
  { mode: 'trickle-body', reason: /no complete answer within 2000 ms/, maxSeconds: 10, maxRssGrowthMiB: 32 },
  { mode: 'slow-headers', reason: /no complete answer within 2000 ms/, maxSeconds: 10, maxRssGrowthMiB: 32 },
  { mode: 'redirect-loop', reason: /redirect/i, maxSeconds: 10, maxRssGrowthMiB: 32 },
  { mode: 'digest-lie', reason: /digest/i, maxSeconds: 10, maxRssGrowthMiB: 32 },
  { mode: 'index-cycle', reason: /digest|cyclic/i, maxSeconds: 10, maxRssGrowthMiB: 32 },
];

describe('retention against a hostile registry', () => {
  let server: HostileRegistry | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  for (const c of CASES) {
    it(`${c.mode}: bounded in memory and time, ${c.outcome ?? 'Failed'} with its reason, no DELETE`, async () => {
      server = await startHostileRegistry(c.mode);
      const spec = policyFor(server.url);
      const deadline = runDeadlineSignal(spec);
      const client = new RegistryV2Client({ url: server.url, allowPlainHttp: true, limits: clientLimitsOf(spec), signal: deadline, retries: 1, retryBaseDelayMs: 10 });
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
      const started = performance.now();
      try {
        const report = await runRetention({ client, registry: server.url, policyName: 'test/hostile', spec, dryRun: false, signal: deadline });
        const seconds = (performance.now() - started) / 1000;
        const growthMiB = (Math.max(rssPeak, process.memoryUsage().rss) - rssBefore) / MiB;
        const skipped = report.plan.skippedRepositories ?? [];
        const why = report.error ?? skipped.map((r) => `${r.name} skipped: ${r.reason}`).join('; ');
        process.stdout.write(`[hostile] ${c.mode}: ${report.outcome} in ${seconds.toFixed(2)} s, RSS +${growthMiB.toFixed(0)} MiB, ${server.requests()} requests: ${why}\n`);
        expect(report.outcome).toBe(c.outcome ?? 'Failed');
        if (c.outcome === 'PartiallyFailed') {
          expect(report.error).toBeUndefined();
          expect(skipped.map((r) => r.name)).toEqual(['app']);
          expect(skipped[0]?.reason).toMatch(c.reason);
          expect(skipped[0]?.reason).toMatch(/skipped: nothing in it is deleted/);
          expect(report.plan.repositories.map((r) => r.name)).toEqual(['web']);
        } else {
          expect(report.error).toMatch(c.reason);
        }
        expect(server.deletes()).toBe(0);
        expect(report.deleted).toEqual([]);
        expect(seconds).toBeLessThan(c.maxSeconds);
        expect(growthMiB).toBeLessThan(c.maxRssGrowthMiB);
      } finally {
        clearInterval(sampler);
        await client.close();
      }
    }, 60_000);
  }

  it('the run deadline ends a run the per-request bounds would let go on (spec.maxDuration)', async () => {
    server = await startHostileRegistry('trickle-body');
    // Each request may take 30 s; the run may take 1 s: the run's deadline ends it.
    const spec = policyFor(server.url, { maxDuration: '1s', limits: { requestDeadline: '30s' } });
    const deadline = runDeadlineSignal(spec);
    const client = new RegistryV2Client({ url: server.url, allowPlainHttp: true, limits: clientLimitsOf(spec), signal: deadline });
    const started = performance.now();
    try {
      const report = await runRetention({ client, registry: server.url, policyName: 'test/hostile', spec, dryRun: false, signal: deadline });
      expect(report.outcome).toBe('Failed');
      expect(report.error).toMatch(/reached its deadline[\s\S]*spec\.maxDuration/);
      expect((performance.now() - started) / 1000).toBeLessThan(5);
      expect(server.deletes()).toBe(0);
    } finally {
      await client.close();
    }
  }, 30_000);

  for (const spelling of ['localhost', '127.0.0.1', '[::ffff:127.0.0.1]']) {
    it(`an external URL at ${spelling} (loopback) is refused before any byte reaches it, by name after DNS as by address`, async () => {
      server = await startHostileRegistry('digest-lie');
      const url = server.url.replace('127.0.0.1', spelling);
      const spec = policyFor(url);
      const client = new RegistryV2Client({ url, allowPlainHttp: true, addressPolicy: new AddressPolicy(externalRegistriesConfigSchema.parse({})), retries: 0 });
      try {
        const report = await runRetention({ client, registry: url, policyName: 'test/hostile', spec, dryRun: false });
        expect(report.outcome).toBe('Failed');
        expect(report.error).toMatch(/refused to connect: .*(loopback|address)/);
        expect(server.requests()).toBe(0);
      } finally {
        await client.close();
      }
    });
  }
});
