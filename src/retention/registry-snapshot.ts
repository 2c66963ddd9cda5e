import type { RegistryV2Client } from '../registry/client/index.js';
import type { ManifestSnapshot, RegistrySnapshot, RepositorySnapshot } from './snapshot.js';
import { mapBounded, TASKS_PER_REPOSITORY } from './bounded-work.js';
import { subjectOfAttachedArtifactTag } from './planner.js';

/**
 * Repositories listed at once, and tasks at once within each: enough queued work to keep the
 * client's connections busy (16 × 16 ≥ any sensible --concurrency), bounded so memory stays flat.
 */
const REPOSITORIES_AT_ONCE = 16;

/** What one snapshot cost, for the plan's log line and the request-count benchmark. */
export interface SnapshotProgress {
  repositoriesScanned: number;
  tagsResolved: number;
  manifestsFetched: number;
}

/**
 * Lists a registry for the planner (I/O only; the decision is planRetention's): one tags/list per
 * page, one manifest HEAD per tag (digests resolved once per run), one manifest GET per distinct
 * digest (children of indexes, config digests) and one config fetch per distinct image (cached
 * by digest in the client). Signature tags need no config: their age never counts.
 * Requests run concurrently; the client bounds them per registry, mapBounded the work queued.
 */
export async function takeRegistrySnapshot(
  client: RegistryV2Client,
  options: { registry: string; repositories: readonly string[]; onProgress?: (progress: SnapshotProgress) => void },
): Promise<RegistrySnapshot> {
  const progress: SnapshotProgress = { repositoriesScanned: 0, tagsResolved: 0, manifestsFetched: 0 };
  const report = () => options.onProgress?.({ ...progress });
  const repositories = await mapBounded(options.repositories, REPOSITORIES_AT_ONCE, async (name) => {
    const repository = await snapshotRepository(client, name, progress, report);
    progress.repositoriesScanned++;
    report();
    return repository;
  });
  return { registry: options.registry, repositories };
}

async function snapshotRepository(client: RegistryV2Client, name: string, progress: SnapshotProgress, report: () => void): Promise<RepositorySnapshot> {
  const tagList = await client.listTags(name);
  const tags: Record<string, string> = {};
  await mapBounded(tagList, TASKS_PER_REPOSITORY, async (tag) => {
    tags[tag] = (await client.headManifest(name, tag)).digest;
    progress.tagsResolved++;
    report();
  });
  const artifactDigests = new Set(Object.entries(tags).filter(([tag]) => subjectOfAttachedArtifactTag(tag) !== undefined).map(([, d]) => d));
  const manifests: Record<string, ManifestSnapshot> = {};
  const pending = new Map<string, Promise<void>>();
  const visit = (digest: string, needsAge: boolean): Promise<void> => {
    const existing = pending.get(digest);
    if (existing) return existing;
    const work = (async () => {
      const fetched = await client.getManifest(name, digest);
      progress.manifestsFetched++;
      report();
      if (fetched.kind === 'index') {
        const children = fetched.manifest.manifests.map((d) => d.digest);
        manifests[digest] = { mediaType: fetched.mediaType, children };
        await Promise.all(children.map((child) => visit(child, needsAge)));
      } else {
        const created = needsAge ? (await client.getImageConfig(name, fetched.manifest.config.digest)).created : undefined;
        manifests[digest] = { mediaType: fetched.mediaType, ...(created !== undefined ? { created } : {}) };
      }
    })();
    pending.set(digest, work);
    return work;
  };
  await mapBounded([...new Set(Object.values(tags))], TASKS_PER_REPOSITORY, (digest) => visit(digest, !artifactDigests.has(digest)));
  return { name, tags, manifests };
}
