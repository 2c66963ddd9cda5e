import { describe, expect, it } from 'vitest';
import { DockmasterError } from '../../../src/errors.js';
import { DEFAULT_REGISTRY_READ_LIMITS, RegistryApiError, type RegistryV2Client } from '../../../src/registry/client/index.js';
import { takeRegistrySnapshot } from '../../../src/retention/registry-snapshot.js';
import { TagBudget, TagReservation } from '../../../src/retention/tag-budget.js';

/** A registry of `repos` repositories of `tags` tags each, every tag its own image (no I/O). */
function fakeClient(repos: number, tags: number, limits: Partial<typeof DEFAULT_REGISTRY_READ_LIMITS> = {}): RegistryV2Client {
  const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
  return {
    baseUrl: 'https://registry.test',
    limits: { ...DEFAULT_REGISTRY_READ_LIMITS, ...limits },
    listTags: async (repo: string) => Array.from({ length: tags }, (_, i) => `${repo}-t${i}`),
    headManifest: async (repo: string, tag: string) => ({ digest: digest(Number(tag.split('-t')[1]) + 1000 * Number(repo.slice(1))), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 10 }),
    getManifest: async () => ({ kind: 'image', mediaType: 'application/vnd.oci.image.manifest.v1+json', manifest: { config: { digest: digest(0) } } }),
    getImageConfig: async () => ({ created: '2024-01-01T00:00:00Z' }),
  } as unknown as RegistryV2Client;
}

describe('the tags a run may hold', () => {
  it('maxTagsPerRun ends the listing with the limit named once the repositories together pass it', async () => {
    const client = fakeClient(3, 40, { maxTagsPerRun: 100 });
    const error = await takeRegistrySnapshot(client, { registry: 'r', repositories: ['r0', 'r1', 'r2'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryApiError);
    expect((error as RegistryApiError).limit).toBe('maxTagsPerRun');
    expect((error as Error).message).toMatch(/120 tags listed in this run past the maxTagsPerRun limit of 100.*spec\.limits\.maxTagsPerRun/);
  });

  it('takes each listing from the operator-wide budget, and refuses (without waiting) what is not free', async () => {
    const budget = new TagBudget(100);
    const other = new TagReservation(budget);
    other.take(50);
    const mine = new TagReservation(budget);
    const ok = await takeRegistrySnapshot(fakeClient(1, 40), { registry: 'r', repositories: ['r0'], reserveTags: (n) => mine.take(n) });
    expect(Object.keys(ok.repositories[0]?.tags ?? {})).toHaveLength(40);
    expect(budget.inUse).toBe(90);
    const refused = await takeRegistrySnapshot(fakeClient(1, 40), { registry: 'r', repositories: ['r1'], reserveTags: (n) => new TagReservation(budget).take(n) }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DockmasterError);
    expect((refused as DockmasterError).code).toBe('DM_ERR_RETENTION_MEMORY_BUSY');
    expect((refused as Error).message).toMatch(/hold 90 of the operator's 100 tags.*needs 40 more; nothing was deleted/);
    mine.release();
    other.release();
    expect(budget.inUse).toBe(0);
    mine.release();
    expect(budget.inUse).toBe(0);
  });
});
