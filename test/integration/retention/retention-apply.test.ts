/**
 * runRetention against a real docker-registry: after apply, everything kept still pulls (every
 * platform, signatures), everything planned is gone, nothing out of scope was touched, and a
 * second run has nothing left to do. Invariants 1-4 of issue 3 on the real system.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runRetention } from '../../../src/retention/run-retention.js';
import { startRegistry, type RunningRegistry } from '../../harness/registry.js';
import { manifestExists, plainClient, pullCompletely, pushScenario, resolveNow, scenarioSpec, splitRepoTag } from './retention-scenario.js';

const NOW = new Date('2026-06-01T00:00:00Z');

describe('runRetention on a real registry', () => {
  let registry: RunningRegistry | undefined;
  afterEach(async () => {
    await registry?.stop();
    registry = undefined;
  });

  it('dry run plans and deletes nothing', async () => {
    registry = await startRegistry();
    const scenario = await pushScenario(registry);
    const client = plainClient(registry);
    try {
      const report = await runRetention({ client, registry: registry.url, policyName: 'registries/web', spec: scenarioSpec(), dryRun: true, now: NOW });
      expect(report.outcome).toBe('DryRun');
      expect(report.plan.summary.deleteDigests).toBe(4);
      expect(report.deleted).toEqual([]);
      for (const repoTag of [...scenario.kept, ...scenario.deleted]) expect(await resolveNow(client, repoTag), repoTag).toBe(scenario.digests[repoTag]);
    } finally {
      await client.close();
    }
  });

  it('apply deletes exactly the plan; every kept image still pulls completely; a re-run has nothing to do', async () => {
    registry = await startRegistry();
    const scenario = await pushScenario(registry);
    const client = plainClient(registry);
    const phases = new Set<string>();
    try {
      const report = await runRetention({
        client,
        registry: registry.url,
        policyName: 'registries/web',
        spec: scenarioSpec(),
        dryRun: false,
        now: NOW,
        onProgress: (p) => phases.add(p.phase),
      });
      expect(report.outcome).toBe('Succeeded');
      expect([...phases]).toEqual(expect.arrayContaining(['listing', 'resolving', 'deleting', 'done']));
      expect(report.failed).toEqual([]);
      expect(report.skipped).toEqual([]);
      expect(report.notAttempted).toEqual([]);
      const planned = report.plan.repositories.flatMap((r) => r.delete.map((d) => `${r.name}@${d.digest}`)).sort();
      expect(report.deleted.map((d) => `${d.repository}@${d.digest}`).sort()).toEqual(planned);

      // Invariants 1, 3, 4: kept tags (shared digest, protected, signatures of kept, out of scope) pull completely.
      for (const repoTag of scenario.kept) {
        const [repository, tag] = splitRepoTag(repoTag);
        expect(await resolveNow(client, repoTag), repoTag).toBe(scenario.digests[repoTag]);
        await pullCompletely(client, repository, tag);
      }
      for (const repoTag of scenario.deleted) expect(await resolveNow(client, repoTag), repoTag).toBeUndefined();
      // Invariant 2: the deleted index's arm64 child went with it; its amd64 child, shared with kept v0.1.0, stayed.
      expect(await manifestExists(client, 'app/tools', scenario.children['tools-old-arm64']!)).toBe(false);
      expect(await manifestExists(client, 'app/tools', scenario.children['tools-old-amd64']!)).toBe(true);

      const again = await runRetention({ client, registry: registry.url, policyName: 'registries/web', spec: scenarioSpec(), dryRun: false, now: NOW });
      expect(again.outcome).toBe('Succeeded');
      expect(again.plan.summary.deleteDigests).toBe(0);
      expect(again.deleted).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('untag: on 3.x the tags kept only for their manifest (alias, v1.1.0 under protected stable) are untagged and every kept image still pulls; 2.8.2 refuses the untag with 400 and removes nothing', async () => {
    registry = await startRegistry();
    const scenario = await pushScenario(registry);
    const client = plainClient(registry);
    const untagged = ['app/web:alias', 'app/web:v1.1.0'];
    try {
      const report = await runRetention({ client, registry: registry.url, policyName: 'registries/web', spec: scenarioSpec(), dryRun: false, canUntag: true, now: NOW });
      const planned = report.plan.repositories.flatMap((r) => r.untag.map((u) => `${r.name}:${u.tag}`)).sort();
      expect(planned).toEqual(untagged);
      expect(report.plan.repositories.find((r) => r.name === 'app/web')?.untag.map((u) => u.reason)).toEqual([
        'untagged, manifest kept: shares digest with kept tag v1.4.0',
        'untagged, manifest kept: shares digest with kept tag stable',
      ]);
      if (registry.version.startsWith('3.')) {
        expect(report.outcome).toBe('Succeeded');
        expect(report.untagged.map((u) => `${u.repository}:${u.tag}`).sort()).toEqual(untagged);
        for (const repoTag of untagged) expect(await resolveNow(client, repoTag), repoTag).toBeUndefined();
      } else {
        // 2.8 cannot untag: the first refusal stops the run, and nothing it names is gone.
        expect(report.untagged).toEqual([]);
        expect(report.error).toMatch(/cannot untag.*400 DIGEST_INVALID/);
        for (const repoTag of untagged) expect(await resolveNow(client, repoTag), repoTag).toBe(scenario.digests[repoTag]);
      }
      // Whatever happened to the untags: every other kept tag still pulls, with every manifest it needs.
      for (const repoTag of scenario.kept.filter((t) => !untagged.includes(t))) {
        const [repository, tag] = splitRepoTag(repoTag);
        expect(await resolveNow(client, repoTag), repoTag).toBe(scenario.digests[repoTag]);
        await pullCompletely(client, repository, tag);
      }
      // The untagged manifests stay, reachable by digest.
      for (const repoTag of untagged) await pullCompletely(client, 'app/web', scenario.digests[repoTag]!);
      if (registry.version.startsWith('3.')) {
        const again = await runRetention({ client, registry: registry.url, policyName: 'registries/web', spec: scenarioSpec(), dryRun: false, canUntag: true, now: NOW });
        expect(again.plan.summary).toMatchObject({ deleteDigests: 0, untagTags: 0 });
      }
    } finally {
      await client.close();
    }
  });

  it('reports Failed with the error when the registry cannot be listed', async () => {
    registry = await startRegistry();
    const client = plainClient(registry);
    await registry.stop();
    registry = undefined;
    try {
      const report = await runRetention({ client, registry: 'http://gone', policyName: 'p', spec: scenarioSpec(), dryRun: false, now: NOW });
      expect(report.outcome).toBe('Failed');
      expect(report.error).toMatch(/no answer|ECONNREFUSED/);
    } finally {
      await client.close();
    }
  });
});
