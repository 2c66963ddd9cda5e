import { isRegistryNotFound, type RegistryV2Client } from '../registry/client/index.js';
import { mapBounded, TASKS_PER_REPOSITORY } from './bounded-work.js';
import type { RepositoryRecheck } from './delete-recheck.js';
import type { RepositorySnapshot } from './snapshot.js';

/** Requests queued at once per repository (the client bounds those in flight). */

/**
 * Resolves a repository's tags again just before its deletes (I/O only; delete-recheck.ts
 * decides). Request budget: one tags/list (per page), one HEAD per tag listed now, and one
 * manifest GET per digest the plan's snapshot did not know (only when something was pushed or
 * re-tagged since the plan: zero in the common case). Every tag is re-resolved, not only the
 * planned ones: a kept tag re-pointed at an old image (a rollback by re-tagging) would otherwise
 * lose its image to the DELETE.
 */
export async function recheckRepository(client: RegistryV2Client, repository: string, snapshot: RepositorySnapshot | undefined): Promise<RepositoryRecheck> {
  let listed: string[];
  try {
    listed = await client.listTags(repository);
  } catch (error) {
    // The repository itself is gone (NAME_UNKNOWN): every planned tag is gone too.
    if (!isRegistryNotFound(error)) throw error;
    listed = [];
  }
  const tags: Record<string, string> = {};
  await mapBounded(listed, TASKS_PER_REPOSITORY, async (tag) => {
    try {
      tags[tag] = (await client.headManifest(repository, tag)).digest;
    } catch (error) {
      // Deleted between the listing and the HEAD: a tag that is gone cannot be broken.
      if (!isRegistryNotFound(error)) throw error;
    }
  });
  const newIndexChildren: Record<string, string[]> = {};
  const visited = new Set<string>();
  const visit = async (digest: string): Promise<void> => {
    if (visited.has(digest) || snapshot?.manifests[digest] !== undefined) return;
    visited.add(digest);
    let manifest;
    try {
      manifest = await client.getManifest(repository, digest);
    } catch (error) {
      if (isRegistryNotFound(error)) return;
      throw error;
    }
    if (manifest.kind !== 'index') return;
    const children = manifest.manifest.manifests.map((descriptor) => descriptor.digest);
    newIndexChildren[digest] = children;
    await Promise.all(children.map(visit));
  };
  await mapBounded([...new Set(Object.values(tags))], TASKS_PER_REPOSITORY, visit);
  return { tags, newIndexChildren };
}
