import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteManifest, MEDIA_TYPES, pushImage, pushIndex } from '../../harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../../harness/registry.js';

/**
 * `docker-registry garbage-collect <config> [--dry-run] [--delete-untagged]` against the config the
 * harness registry runs with, as the GC window does (registry read-only meanwhile). Pins the
 * output format the GC code parses. Sample (2.8.2, stdout, after one manifest was deleted):
 *
 *   app
 *   app: marking manifest sha256:1a95…45f1 ␠            <- note the trailing space
 *   app: marking blob sha256:54f7…daf7
 *   …
 *
 *   3 blobs marked, 3 blobs and 0 manifests eligible for deletion
 *   blob eligible for deletion: sha256:6b1a…7ba6
 *   blob eligible for deletion: sha256:96a2…9492
 *
 * The counted "manifests" are only those --delete-untagged removes ("manifest eligible for
 * deletion: sha256:…" lines, printed during the mark phase; 3.x prints "manifest eligible for
 * deletion: {repo sha256:… [tags]}" and adds "layer link eligible for deletion" lines). A manifest
 * deleted through the API shows up as a blob. --dry-run prints the same lines and deletes nothing.
 */

const run = promisify(execFile);
const SUMMARY = /^(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible for deletion$/m;

async function garbageCollect(registry: RunningRegistry, ...flags: string[]): Promise<{ stdout: string; summary: number[]; eligibleBlobs: string[]; eligibleManifests: string[] }> {
  const { stdout } = await run(registry.binary, ['garbage-collect', registry.configPath, ...flags], { encoding: 'utf8' });
  const match = SUMMARY.exec(stdout);
  if (!match) throw new Error(`no summary line in garbage-collect output:\n${stdout}`);
  // 2.8.2 prints `manifest eligible for deletion: sha256:…`; 3.x prints the Go struct,
  // `manifest eligible for deletion: {repo sha256:… [tags]}` (the summary line is the same in both).
  const listed = (prefix: string): string[] =>
    [...stdout.matchAll(new RegExp(`^${prefix} eligible for deletion: (?:\\{\\S+ )?(sha256:[0-9a-f]{64})(?: \\[[^\\]]*\\]\\})?$`, 'gm'))].map((m) => m[1]!).sort();
  return { stdout, summary: match.slice(1).map(Number), eligibleBlobs: listed('blob'), eligibleManifests: listed('manifest') };
}

async function blobStatus(registry: RunningRegistry, repository: string, digest: string): Promise<number> {
  const res = await fetch(`${registry.url}/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });
  return res.status;
}

async function manifestStatus(registry: RunningRegistry, repository: string, digest: string, accept: string): Promise<number> {
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${digest}`, { method: 'HEAD', headers: { accept } });
  return res.status;
}

describe('docker-registry garbage-collect', () => {
  let registry: RunningRegistry | undefined;
  afterEach(async () => {
    await registry?.stop();
  });

  it('--dry-run exits 0, prints the summary line and deletes nothing', async () => {
    registry = await startRegistry();
    const kept = await pushImage(registry, 'app', { tags: ['v1'], seed: 'gc-kept' });
    const gone = await pushImage(registry, 'app', { tags: ['v2'], seed: 'gc-gone' });
    await deleteManifest(registry, 'app', gone.digest);
    await registry.restart({ readOnly: true });
    const dry = await garbageCollect(registry, '--dry-run');
    expect(dry.stdout).toMatch(/^app$/m);
    expect(dry.stdout).toContain(`app: marking manifest ${kept.digest} \n`);
    expect(dry.summary).toEqual([3, 3, 0]);
    expect(dry.eligibleBlobs).toEqual([gone.digest, gone.configDigest!, ...gone.layerDigests].sort());
    expect(await blobStatus(registry, 'app', gone.layerDigests[0]!)).toBe(200);
  });

  it('a real run removes the blobs of a manifest deleted by digest and keeps the tagged image', async () => {
    registry = await startRegistry();
    const kept = await pushImage(registry, 'app', { tags: ['v1'], seed: 'gc-kept' });
    const gone = await pushImage(registry, 'app', { tags: ['v2'], seed: 'gc-gone' });
    await deleteManifest(registry, 'app', gone.digest);
    await registry.restart({ readOnly: true });
    const collected = await garbageCollect(registry);
    expect(collected.summary).toEqual([3, 3, 0]);
    // Before GC the deleted manifest's layer was still served (200): the repository's link survives the DELETE.
    // No blob-descriptor cache is configured, so the running process sees the removal at once.
    await registry.restart({ readOnly: false });
    expect(await blobStatus(registry, 'app', gone.layerDigests[0]!)).toBe(404);
    expect(await blobStatus(registry, 'app', gone.configDigest!)).toBe(404);
    expect(await manifestStatus(registry, 'app', 'v1', MEDIA_TYPES.oci.manifest)).toBe(200);
    expect(await blobStatus(registry, 'app', kept.layerDigests[0]!)).toBe(200);
    expect((await garbageCollect(registry, '--dry-run')).summary).toEqual([3, 0, 0]);
  });

  it('--delete-untagged: 2.8.2 deletes the untagged children of a tagged index (breaking multi-arch images); 3.x keeps every platform and removes untagged orphans', async () => {
    registry = await startRegistry();
    const platforms = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }];
    const index = await pushIndex(registry, 'multi', { tags: ['latest'], platforms, seed: 'gc-index' });
    const orphan = await pushImage(registry, 'multi', { tags: ['gone'], seed: 'gc-orphan' });
    // Untagged by deleting a tag where the registry can (3.x); 2.8.2 only deletes by digest.
    if (registry.version !== '2.8.2') await fetch(`${registry.url}/v2/multi/manifests/gone`, { method: 'DELETE' });
    await registry.restart({ readOnly: true });
    const collected = await garbageCollect(registry, '--delete-untagged');
    await registry.restart({ readOnly: false });
    expect(await manifestStatus(registry, 'multi', 'latest', MEDIA_TYPES.oci.index)).toBe(200);
    if (registry.version === '2.8.2') {
      expect(collected.eligibleManifests).toEqual(index.children.map((c) => c.digest).sort());
      for (const child of index.children) expect(await manifestStatus(registry, 'multi', child.digest, MEDIA_TYPES.oci.manifest)).toBe(404);
    } else {
      expect(collected.eligibleManifests).toEqual([orphan.digest]);
      for (const child of index.children) expect(await manifestStatus(registry, 'multi', child.digest, MEDIA_TYPES.oci.manifest)).toBe(200);
      expect(await manifestStatus(registry, 'multi', orphan.digest, MEDIA_TYPES.oci.manifest)).toBe(404);
    }
  });
});
