/**
 * The window's write probes against a real docker-registry (2.8.2), read-only and read-write,
 * anonymous and with htpasswd: the status codes the window waits for, and what each probe leaves
 * in the storage (the refused-side probe nothing, the accepted-side one an upload directory the
 * catalog does not list).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { checkReplicaWrites, PROBE_REPOSITORY } from '../../../../src/controllers/registry-gc/write-probe.js';
import { startRegistry, type RunningRegistry } from '../../../harness/registry.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  await walk(dir);
  return out;
}

describe('write probes of the garbage-collection window (real docker-registry)', () => {
  let registry: RunningRegistry | undefined;
  afterEach(async () => {
    await registry?.stop();
    registry = undefined;
  });

  it('read-only: writes are refused (405) and neither probe writes anything', async () => {
    registry = await startRegistry({ readOnly: true });
    expect(await checkReplicaWrites([registry.url], 'refused', {})).toEqual({ verified: true });
    const accepted = await checkReplicaWrites([registry.url], 'accepted', {});
    expect(accepted).toEqual({ verified: false, reason: `${registry.url} answered 405 to the start of an upload, not 202` });
    expect(await filesUnder(registry.storageDir)).toEqual([]);
  });

  it('read-write: the refused check fails without writing (404); the accepted check leaves one cancelled upload the catalog ignores', async () => {
    registry = await startRegistry({ readOnly: false });
    const refused = await checkReplicaWrites([registry.url], 'refused', {});
    expect(refused).toEqual({ verified: false, reason: `${registry.url} answered 404 to a manifest DELETE, not 405 (still writable)` });
    expect(await filesUnder(registry.storageDir)).toEqual([]);
    expect(await checkReplicaWrites([registry.url], 'accepted', {})).toEqual({ verified: true });
    const left = await filesUnder(registry.storageDir);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(new RegExp(`^docker/registry/v2/repositories/${PROBE_REPOSITORY}/_uploads/[0-9a-f-]+/hashstates/sha256/0$`));
    expect(await (await fetch(`${registry.url}/v2/_catalog`)).json()).toEqual({ repositories: [] });
  });

  it('with htpasswd the probes log in (without credentials every write is 401, which proves nothing)', async () => {
    registry = await startRegistry({ readOnly: true, htpasswd: { gc: 'secret' } });
    expect(await checkReplicaWrites([registry.url], 'refused', {})).toMatchObject({ verified: false, reason: expect.stringContaining('answered 401') });
    expect(await checkReplicaWrites([registry.url], 'refused', { credentials: { username: 'gc', password: 'secret' } })).toEqual({ verified: true });
  });

  it('an unreachable replica is not verified', async () => {
    const check = await checkReplicaWrites(['http://127.0.0.1:9'], 'refused', {});
    expect(check.verified).toBe(false);
  });
});
