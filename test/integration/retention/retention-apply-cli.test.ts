/**
 * `dockmaster retention apply` as a process against a real docker-registry: JSON report on
 * stdout, exit codes 0 (done, dry run), 1 (deletes failed), 2 (no --yes without a terminal).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetentionRunReportJson } from '../../../src/retention/report-output.js';
import { startRegistry, type RunningRegistry } from '../../harness/registry.js';
import { plainClient, POLICY_YAML, pushScenario, resolveNow, type Scenario } from './retention-scenario.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function dockmaster(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    // stdin is a pipe, not a terminal: apply must demand --yes.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', 'retention', 'apply', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end();
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('dockmaster retention apply (process)', () => {
  let registry: RunningRegistry;
  let dir: string;
  let policy: string;
  let scenario: Scenario;

  beforeAll(async () => {
    registry = await startRegistry();
    dir = await mkdtemp(path.join(tmpdir(), 'dm-retention-apply-'));
    policy = path.join(dir, 'policy.yaml');
    await writeFile(policy, POLICY_YAML);
    scenario = await pushScenario(registry);
  });
  afterAll(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses without --yes when stdin is not a terminal (exit 2, names --yes); bad --concurrency is bad input', async () => {
    const run = await dockmaster(['-f', policy, '--registry', registry.url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--yes');
    const bad = await dockmaster(['-f', policy, '--registry', registry.url, '--yes', '--no-in-use', '--concurrency', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--concurrency');
  });

  it('refuses to delete without knowing what the cluster runs unless told (exit 2, names the three flags)', async () => {
    const run = await dockmaster(['-f', policy, '--registry', registry.url, '--yes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--in-use-from-cluster.*--in-use-file.*--no-in-use/s);
  });

  it('--in-use-file keeps the tags it lists, saying so; a dry run without it says protection is off', async () => {
    const inUse = path.join(dir, 'in-use.txt');
    const host = new URL(registry.url).host;
    await writeFile(inUse, `${host}/app/web:v1.2.0 docker.io/library/nginx:1.27\n`);
    const run = await dockmaster(['-f', policy, '--registry', registry.url, '--dry-run', '--in-use-file', inUse, '-o', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as RetentionRunReportJson;
    const web = report.plan.repositories.find((r) => r.name === 'app/web');
    expect(web?.keep.find((k) => k.tag === 'v1.2.0')?.reason).toBe(`kept: in use (listed in ${inUse})`);
    // v1.2.0 and its signature stay: 2 of the 4 planned deletes are gone from the plan.
    expect(report.plan.summary.deleteDigests).toBe(2);
    const off = await dockmaster(['-f', policy, '--registry', registry.url, '--dry-run', '-o', 'json']);
    expect((JSON.parse(off.stdout) as RetentionRunReportJson).plan.notes).toEqual([expect.stringMatching(/^in-use protection is off for this run/)]);
  });

  it('--dry-run prints the plan in the report and deletes nothing (exit 0)', async () => {
    const run = await dockmaster(['-f', policy, '--registry', registry.url, '--dry-run', '-o', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as RetentionRunReportJson;
    expect(report.outcome).toBe('DryRun');
    expect(report.plan.summary.deleteDigests).toBe(4);
    const client = plainClient(registry);
    for (const repoTag of scenario.deleted) expect(await resolveNow(client, repoTag)).toBe(scenario.digests[repoTag]);
    await client.close();
  });

  it('read-only registry: every DELETE refused, report says why (exit 1); then --yes applies (exit 0) and a re-run deletes nothing', async () => {
    await registry.restart({ readOnly: true });
    const refused = await dockmaster(['-f', policy, '--registry', registry.url, '--yes', '--no-in-use', '-o', 'json']);
    expect(refused.code, refused.stderr).toBe(1);
    const failedReport = JSON.parse(refused.stdout) as RetentionRunReportJson;
    expect(failedReport.outcome).toBe('Failed');
    expect(failedReport.error).toMatch(/read-only/);
    expect(failedReport.summary.deletedDigests).toBe(0);
    expect(failedReport.summary.failed + failedReport.summary.notAttempted).toBe(4);

    await registry.restart({ readOnly: false });
    const applied = await dockmaster(['-f', policy, '--registry', registry.url, '--yes', '--no-in-use', '-o', 'json']);
    expect(applied.code, applied.stderr).toBe(0);
    const report = JSON.parse(applied.stdout) as RetentionRunReportJson;
    expect(report.outcome).toBe('Succeeded');
    expect(report.summary).toEqual({ plannedDigests: 4, deletedDigests: 4, deletedTags: 3, plannedUntags: 0, untaggedTags: 0, skipped: 0, failed: 0, notAttempted: 0 });
    expect(report.plan.notes).toEqual(['in-use protection is off for this run (--no-in-use)']);
    // Not a terminal: structured logs (pino JSON, object first) on stderr.
    expect(applied.stderr).toContain('"msg":"Deleted manifest"');
    const client = plainClient(registry);
    for (const repoTag of scenario.deleted) expect(await resolveNow(client, repoTag)).toBeUndefined();
    for (const repoTag of scenario.kept) expect(await resolveNow(client, repoTag)).toBe(scenario.digests[repoTag]);
    await client.close();

    const again = await dockmaster(['-f', policy, '--registry', registry.url, '--yes', '--no-in-use']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Outcome: Succeeded: 0 of 0 planned digests deleted');
  });
});
