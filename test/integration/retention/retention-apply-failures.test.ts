/**
 * Invariant 6 on a real registry: the registry turns read-only, or stops, in the middle of the
 * deletes. The report must say exactly what was and was not deleted (checked against the
 * registry), and re-runs must converge to the state an undisturbed run reaches.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryV2Client } from '../../../src/registry/client/index.js';
import { runRetention } from '../../../src/retention/run-retention.js';
import type { RetentionRunReport } from '../../../src/retention/report.js';
import { startRegistry, type RunningRegistry } from '../../harness/registry.js';
import { manifestExists, plainClient, pullCompletely, pushScenario, resolveNow, scenarioSpec, splitRepoTag, type Scenario } from './retention-scenario.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const PREFIXES = ['app/a', 'app/b', 'app/c'];

/** Runs `hook` once, before the n-th tags/list issued after the listing phase (the n-th repository re-check). */
class HookedClient extends RegistryV2Client {
  deleting = false;
  private rechecks = 0;
  constructor(
    options: ConstructorParameters<typeof RegistryV2Client>[0],
    private readonly n: number,
    private readonly hook: () => Promise<void>,
  ) {
    super(options);
  }
  override async listTags(repository: string, options: { pageSize?: number } = {}): Promise<string[]> {
    if (this.deleting && ++this.rechecks === this.n) await this.hook();
    return super.listTags(repository, options);
  }
}

async function pushAll(registry: RunningRegistry): Promise<Scenario[]> {
  const scenarios: Scenario[] = [];
  for (const prefix of PREFIXES) scenarios.push(await pushScenario(registry, prefix));
  return scenarios;
}

/** The report is the truth: every deleted digest is gone, every failed/not-attempted one is still there. */
async function expectReportMatchesRegistry(client: RegistryV2Client, report: RetentionRunReport): Promise<void> {
  for (const d of report.deleted) expect(await manifestExists(client, d.repository, d.digest), `${d.repository}@${d.digest}`).toBe(false);
  for (const d of [...report.failed, ...report.notAttempted]) expect(await manifestExists(client, d.repository, d.digest), `${d.repository}@${d.digest}`).toBe(true);
  const planned = report.plan.repositories.reduce((n, r) => n + r.delete.length, 0);
  expect(report.deleted.length + report.skipped.length + report.failed.length + report.notAttempted.length).toBe(planned);
}

async function expectConvergedState(client: RegistryV2Client, scenarios: Scenario[]): Promise<void> {
  for (const scenario of scenarios) {
    for (const repoTag of scenario.kept) {
      expect(await resolveNow(client, repoTag), repoTag).toBe(scenario.digests[repoTag]);
      await pullCompletely(client, ...splitRepoTag(repoTag));
    }
    for (const repoTag of scenario.deleted) expect(await resolveNow(client, repoTag), repoTag).toBeUndefined();
  }
  const last = await runRetention({ client, registry: 'r', policyName: 'p', spec: scenarioSpec(), dryRun: false, now: NOW });
  expect(last.plan.summary.deleteDigests).toBe(0);
}

describe('runRetention when the registry fails mid-run', () => {
  let registry: RunningRegistry | undefined;
  let storageDir: string | undefined;
  afterEach(async () => {
    await registry?.stop();
    registry = undefined;
    if (storageDir) await rm(storageDir, { recursive: true, force: true });
    storageDir = undefined;
  });

  it('read-only mid-run: stops at once with a clear error, reports exactly what was deleted; a re-run converges', async () => {
    registry = await startRegistry();
    const reg = registry;
    const scenarios = await pushAll(reg);
    const client = new HookedClient({ url: reg.url, allowPlainHttp: true }, 3, () => reg.restart({ readOnly: true }));
    try {
      const report = await runRetention({
        client,
        registry: reg.url,
        policyName: 'p',
        spec: scenarioSpec(),
        dryRun: false,
        now: NOW,
        repositoryConcurrency: 1,
        onProgress: (p) => (client.deleting = p.phase === 'deleting'),
      });
      expect(report.outcome).toBe('PartiallyFailed');
      expect(report.error).toMatch(/read-only/);
      // Two repositories were done before the switch; the third got 405s on its first level; the rest was not sent.
      expect(new Set(report.deleted.map((d) => d.repository)).size).toBe(2);
      expect(report.failed.length).toBeGreaterThan(0);
      for (const failed of report.failed) expect(failed.error).toMatch(/405/);
      expect(report.notAttempted.length).toBeGreaterThan(0);
      await expectReportMatchesRegistry(client, report);

      await reg.restart({ readOnly: false });
      const rerun = await runRetention({ client, registry: reg.url, policyName: 'p', spec: scenarioSpec(), dryRun: false, now: NOW });
      expect(rerun.outcome).toBe('Succeeded');
      expect(rerun.deleted.length).toBe(report.failed.length + report.notAttempted.length);
      await expectConvergedState(client, scenarios);
    } finally {
      await client.close();
    }
  });

  it('registry stopped mid-run: failures counted, the run stops after the limit, reports what was not attempted; a re-run converges', async () => {
    storageDir = await mkdtemp(path.join(tmpdir(), 'dm-retention-stop-'));
    registry = await startRegistry({ storageDir });
    const reg = registry;
    const scenarios = await pushAll(reg);
    const options = { url: reg.url, allowPlainHttp: true, retries: 1, retryBaseDelayMs: 10 };
    const client = new HookedClient(options, 3, () => reg.stop());
    let report: RetentionRunReport;
    try {
      report = await runRetention({
        client,
        registry: reg.url,
        policyName: 'p',
        spec: scenarioSpec(),
        dryRun: false,
        now: NOW,
        repositoryConcurrency: 1,
        maxConsecutiveFailures: 2,
        onProgress: (p) => (client.deleting = p.phase === 'deleting'),
      });
    } finally {
      await client.close();
    }
    expect(report.outcome).toBe('PartiallyFailed');
    expect(report.error).toMatch(/2 consecutive failures/);
    expect(new Set(report.deleted.map((d) => d.repository)).size).toBe(2);
    // Repositories 3 and 4 could not be re-checked (no answer): failed; 5 and 6 were not attempted.
    expect(new Set(report.failed.map((d) => d.repository)).size).toBe(2);
    for (const failed of report.failed) expect(failed.error).toMatch(/re-checking the repository's tags before deleting failed/);
    expect(new Set(report.notAttempted.map((d) => d.repository)).size).toBe(2);

    // The same storage served again (new port): the report matches it, and a re-run converges.
    registry = await startRegistry({ storageDir });
    const again = plainClient(registry);
    try {
      await expectReportMatchesRegistry(again, report);
      const rerun = await runRetention({ client: again, registry: registry.url, policyName: 'p', spec: scenarioSpec(), dryRun: false, now: NOW });
      expect(rerun.outcome).toBe('Succeeded');
      await expectConvergedState(again, scenarios);
    } finally {
      await again.close();
    }
  });
});
