/**
 * Invariant 5 on a real registry: tags pushed between the plan and the deletes. The push happens
 * from a client subclass, just before the executor re-lists a repository (the registry and its
 * HTTP are real; only the moment of the push is chosen).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryV2Client } from '../../../src/registry/client/index.js';
import { runRetention } from '../../../src/retention/run-retention.js';
import { pushImage, tagManifest } from '../../harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../../harness/registry.js';
import { manifestExists, pullCompletely, pushScenario, resolveNow, scenarioSpec } from './retention-scenario.js';

const NOW = new Date('2026-06-01T00:00:00Z');

/** Runs `beforeRecheck(repository)` once before the second tags/list of a repository (the executor's re-check). */
class PushBeforeRecheckClient extends RegistryV2Client {
  private readonly listed = new Map<string, number>();
  constructor(
    url: string,
    private readonly beforeRecheck: (repository: string) => Promise<void>,
  ) {
    super({ url, allowPlainHttp: true });
  }
  override async listTags(repository: string, options: { pageSize?: number } = {}): Promise<string[]> {
    const calls = (this.listed.get(repository) ?? 0) + 1;
    this.listed.set(repository, calls);
    if (calls === 2) await this.beforeRecheck(repository);
    return super.listTags(repository, options);
  }
}

describe('runRetention when tags move during the run', () => {
  let registry: RunningRegistry | undefined;
  afterEach(async () => {
    await registry?.stop();
    registry = undefined;
  });

  it('skips (never forces) the delete of a digest whose tag moved or that a kept tag now points at; a re-run converges', async () => {
    registry = await startRegistry();
    const reg = registry;
    const scenario = await pushScenario(reg);
    const oldV120 = scenario.digests['app/web:v1.2.0']!;
    const rcIndex = scenario.digests['app/tools:v0.1.0-rc']!;
    let movedTo = '';
    const client = new PushBeforeRecheckClient(reg.url, async (repository) => {
      // app/web: v1.2.0 is pushed again with new content (the tag moved away from the planned digest).
      if (repository === 'app/web') movedTo = (await pushImage(reg, 'app/web', { tags: ['v1.2.0'], created: '2026-01-05T00:00:00Z', seed: 'web-new' })).digest;
      // app/tools: a rollback re-tags the kept v0.3.0 onto the index the plan deletes.
      if (repository === 'app/tools') await tagManifest(reg, 'app/tools', rcIndex, 'v0.3.0');
    });
    try {
      const report = await runRetention({ client, registry: reg.url, policyName: 'registries/web', spec: scenarioSpec(), dryRun: false, now: NOW });
      const skipped = Object.fromEntries(report.skipped.map((s) => [s.digest, s.reason]));
      expect(skipped[oldV120]).toBe(`tag v1.2.0 moved to ${movedTo} since the plan`);
      expect(skipped[rcIndex]).toBe('tag v0.3.0 now points at this digest (the plan did not judge it)');
      // What the skipped manifests reference stays with them: the signature of old v1.2.0, the arm64 child of the index.
      expect(skipped[scenario.children['tools-old-arm64']!]).toBe(`referenced by index ${rcIndex}, whose delete was skipped`);
      expect(report.skipped).toHaveLength(4);
      expect(report.deleted).toEqual([]);
      expect(report.outcome).toBe('Succeeded');

      expect(await resolveNow(client, 'app/web:v1.2.0')).toBe(movedTo);
      expect(await manifestExists(client, 'app/web', oldV120)).toBe(true);
      expect(await resolveNow(client, 'app/tools:v0.3.0')).toBe(rcIndex);
      await pullCompletely(client, 'app/tools', 'v0.3.0');

      // Re-runs plan from a fresh listing and converge: the second run has nothing left to do.
      const spec = scenarioSpec();
      const first = await runRetention({ client, registry: reg.url, policyName: 'p', spec, dryRun: false, now: NOW });
      expect(first.failed).toEqual([]);
      const second = await runRetention({ client, registry: reg.url, policyName: 'p', spec, dryRun: false, now: NOW });
      expect(second.plan.summary.deleteDigests).toBe(0);
      for (const tag of second.plan.repositories.flatMap((r) => r.keep.map((k) => `${r.name}:${k.tag}`))) {
        const [repository, reference] = [tag.slice(0, tag.indexOf(':')), tag.slice(tag.indexOf(':') + 1)];
        await pullCompletely(client, repository, reference);
      }
    } finally {
      await client.close();
    }
  });
});
