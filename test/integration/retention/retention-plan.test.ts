import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage, pushIndex, pushSignature } from '../../harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../../harness/registry.js';
import { planFromRegistry } from '../../../src/cli/retention-plan.js';
import { RegistryV2Client } from '../../../src/registry/client/index.js';

const POLICY = `apiVersion: dockmaster.dev/v1alpha1
kind: RetentionPolicy
metadata: { name: web, namespace: registries }
spec:
  registryRef: { name: main }
  repositories: ["app/**"]
  excludeRepositories: ["app/legacy/**"]
  protectedTags: ["stable"]
  keep:
    - tags: ["v*"]
      mostRecent: 2
`;

// `retention plan` against a real docker-registry: the listing is real, nothing is deleted.
describe('dockmaster retention plan', () => {
  let registry: RunningRegistry;
  let dir: string;
  const digests: Record<string, string> = {};

  beforeAll(async () => {
    registry = await startRegistry();
    dir = await mkdtemp(path.join(tmpdir(), 'dm-retention-plan-'));
    await writeFile(path.join(dir, 'policy.yaml'), POLICY);
    for (let i = 1; i <= 4; i++) {
      const image = await pushImage(registry, 'app/web', { tags: [`v1.${i}.0`], created: new Date(Date.UTC(2026, 0, i)).toISOString(), seed: `web-${i}` });
      digests[`v1.${i}.0`] = image.digest;
      await pushSignature(registry, 'app/web', image.digest, 'sig');
    }
    // v1.1.0 is also "stable": the shared digest must be kept whole.
    await pushImage(registry, 'app/web', { tags: ['stable'], created: new Date(Date.UTC(2026, 0, 1)).toISOString(), seed: 'web-1' });
    const index = await pushIndex(registry, 'app/tools', { tags: ['v0.1.0'], platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }], created: '2025-01-01T00:00:00Z', seed: 'tools-old' });
    digests.tools = index.digest;
    await pushIndex(registry, 'app/tools', { tags: ['v0.2.0'], platforms: [{ os: 'linux', architecture: 'amd64' }], created: '2025-02-01T00:00:00Z', seed: 'tools-mid' });
    await pushIndex(registry, 'app/tools', { tags: ['v0.3.0'], platforms: [{ os: 'linux', architecture: 'amd64' }], created: '2025-03-01T00:00:00Z', seed: 'tools-new' });
    await pushImage(registry, 'app/legacy/old', { tags: ['v0.0.1'], seed: 'legacy' });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('plans from the real listing: keeps the newest, shared digests, signatures of kept; deletes the rest with their signatures and children', async () => {
    const plan = await planFromRegistry({ file: path.join(dir, 'policy.yaml'), registry: registry.url, output: 'json' });
    const repos = Object.fromEntries(plan.repositories.map((r) => [r.name, r]));
    expect(Object.keys(repos).sort()).toEqual(['app/tools', 'app/web']);
    const web = repos['app/web']!;
    const deletedWeb = web.delete.flatMap((d) => d.tags).sort();
    expect(deletedWeb).toEqual([`sha256-${digests['v1.2.0']!.slice(7)}.sig`, 'v1.2.0'].sort());
    const keptWeb = web.keep.map((k) => k.tag);
    expect(keptWeb).toEqual(expect.arrayContaining(['v1.4.0', 'v1.3.0', 'v1.1.0', 'stable', `sha256-${digests['v1.4.0']!.slice(7)}.sig`]));
    const tools = repos['app/tools']!;
    const deletedTools = tools.delete.find((d) => d.digest === digests.tools);
    expect(deletedTools?.tags).toEqual(['v0.1.0']);
    // The index's untagged children go with it.
    expect(tools.delete.length).toBe(3);
    // Nothing was deleted: plan is read-only.
    const client = new RegistryV2Client({ url: registry.url, allowPlainHttp: true });
    expect((await client.listTags('app/web')).length).toBe(9);
    expect((await client.headManifest('app/tools', 'v0.1.0')).digest).toBe(digests.tools);
    await client.close();
  });

  it('runs as a command: JSON plan on stdout, exit 0; a policy without a registry URL is bad input (exit 2)', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', 'retention', 'plan', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      });
    const ok = await run(['-f', path.join(dir, 'policy.yaml'), '--registry', registry.url, '-o', 'json']);
    expect(ok.code, ok.stderr).toBe(0);
    const plan = JSON.parse(ok.stdout) as { summary: { deleteDigests: number; repositories: number } };
    expect(plan.summary.repositories).toBe(2);
    expect(plan.summary.deleteDigests).toBeGreaterThan(0);
    const bad = await run(['-f', path.join(dir, 'policy.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--registry');
  });
});
