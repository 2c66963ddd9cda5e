/**
 * distribution on real S3 storage: versitygw (test/harness/s3.ts) serving a directory, in both
 * projects (2.8.2 and 3.1.2). Push, pull, a retention run, and garbage-collect read-only, with the
 * bytes it freed measured on the S3 backend's own directory. No process gets AWS_CA_BUNDLE
 * (distribution's S3 driver panics on it; this machine exports it).
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRetentionPolicy } from '../../../src/api/retention-policy.js';
import { RegistryV2Client } from '../../../src/registry/client/index.js';
import { runRetention } from '../../../src/retention/run-retention.js';
import { pushImage, pushIndex, type PushedImage } from '../../harness/fixtures.js';
import { registryProcessEnv, startRegistry, type RunningRegistry } from '../../harness/registry.js';
import { startS3Server, type S3Server } from '../../harness/s3.js';
import { pullCompletely } from '../retention/retention-scenario.js';

const run = promisify(execFile);

async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await bytesUnder(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}

describe('distribution on S3 (versitygw)', () => {
  let s3: S3Server;
  let registry: RunningRegistry;
  let images: PushedImage[];
  let index: PushedImage & { children: PushedImage[] };

  beforeAll(async () => {
    s3 = await startS3Server();
    const bucket = await s3.createBucket('registry');
    registry = await startRegistry({ s3: { server: s3, bucket, rootDirectory: '/dockmaster' } });
    images = [];
    for (let i = 0; i < 3; i++) images.push(await pushImage(registry, 'app', { tags: [`v${i}`], created: `2024-0${i + 1}-01T00:00:00Z`, seed: `s3-${i}`, layerSize: 16_384 }));
    index = await pushIndex(registry, 'multi', { tags: ['latest'], platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }], seed: 's3-index' });
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    await s3?.stop();
  });

  it('stores what is pushed in the bucket, under rootDirectory, and serves it back', async () => {
    const stored = path.join(s3.root, 'registry', 'dockmaster', 'docker', 'registry', 'v2');
    expect(await bytesUnder(path.join(stored, 'blobs'))).toBeGreaterThan(3 * 16_384);
    const client = new RegistryV2Client({ url: registry.url, allowPlainHttp: true });
    try {
      for (const image of images) await pullCompletely(client, 'app', image.digest);
      await pullCompletely(client, 'multi', 'latest');
    } finally {
      await client.close();
    }
  });

  it('a retention run deletes by digest on S3; garbage-collect then frees the blobs on the backend, and what is kept still pulls', async () => {
    const spec = parseRetentionPolicy({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'RetentionPolicy', metadata: { name: 's3', namespace: 't' }, spec: { external: { url: registry.url }, repositories: ['app'], keep: [{ mostRecent: 1 }] } }).spec;
    const client = new RegistryV2Client({ url: registry.url, allowPlainHttp: true });
    try {
      const report = await runRetention({ client, registry: registry.url, policyName: 't/s3', spec, dryRun: false });
      expect(report.outcome, report.error).toBe('Succeeded');
      expect(report.deleted.map((d) => d.digest).sort()).toEqual([images[0]!.digest, images[1]!.digest].sort());
    } finally {
      await client.close();
    }
    const blobs = path.join(s3.root, 'registry', 'dockmaster', 'docker', 'registry', 'v2', 'blobs');
    const before = await bytesUnder(blobs);
    await registry.restart({ readOnly: true });
    const { stdout } = await run(registry.binary, ['garbage-collect', registry.configPath], { env: registryProcessEnv(), encoding: 'utf8' });
    expect(stdout).toMatch(/blobs marked, [1-9]\d* blobs and \d+ manifests eligible for deletion/);
    await registry.restart({ readOnly: false });
    const freed = before - (await bytesUnder(blobs));
    process.stdout.write(`[s3] distribution ${registry.version}: ${before} bytes of blobs on the backend, garbage-collect freed ${freed}\n`);
    // At least the two deleted images' layers (16 KiB each) left the backend.
    expect(freed).toBeGreaterThanOrEqual(2 * 16_384);
    const check = new RegistryV2Client({ url: registry.url, allowPlainHttp: true });
    try {
      await pullCompletely(check, 'app', 'v2');
      await pullCompletely(check, 'multi', 'latest');
      for (const child of index.children) await pullCompletely(check, 'multi', child.digest);
    } finally {
      await check.close();
    }
  }, 120_000);
});
