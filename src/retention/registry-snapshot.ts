import { isPerRepositoryLimit, limitExceeded, REGISTRY_ERROR_CODES, RegistryApiError, type RegistryV2Client } from '../registry/client/index.js';
import type { ManifestSnapshot, RegistrySnapshot, RepositorySnapshot, SkippedRepository } from './snapshot.js';
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
  /** Tags listed so far, all repositories together (checked against maxTagsPerRun). */
  tagsListed: number;
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
  options: {
    registry: string;
    repositories: readonly string[];
    onProgress?: (progress: SnapshotProgress) => void;
    /** Takes each listing's tags from an operator-wide budget (tag-budget.ts); throws when they are not free. */
    reserveTags?: (count: number) => void;
  },
): Promise<RegistrySnapshot> {
  const progress: SnapshotProgress = { repositoriesScanned: 0, tagsListed: 0, tagsResolved: 0, manifestsFetched: 0 };
  const report = () => options.onProgress?.({ ...progress });
  const skippedRepositories: SkippedRepository[] = [];
  const listed = await mapBounded(options.repositories, REPOSITORIES_AT_ONCE, async (name) => {
    const repository = await snapshotRepository(client, name, progress, report, options.reserveTags);
    progress.repositoriesScanned++;
    report();
    if ('skipped' in repository) skippedRepositories.push({ name, reason: repository.skipped });
    return 'skipped' in repository ? undefined : repository;
  });
  const repositories = listed.filter((r): r is RepositorySnapshot => r !== undefined);
  skippedRepositories.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { registry: options.registry, repositories, ...(skippedRepositories.length > 0 && { skippedRepositories }) };
}

/**
 * A repository whose tags cannot be listed within a per-repository limit is skipped whole: a
 * partial tag list would make the missing tags look deleted, and a keep rule like mostRecent
 * would then pick the wrong survivors. Every other error (a whole-run limit included) ends the run.
 */
async function listTagsOrSkip(client: RegistryV2Client, name: string): Promise<string[] | { skipped: string }> {
  try {
    return await client.listTags(name);
  } catch (error) {
    if (isPerRepositoryLimit(error)) return { skipped: `${error.message} The repository was skipped: nothing in it is deleted.` };
    throw error;
  }
}

async function snapshotRepository(
  client: RegistryV2Client,
  name: string,
  progress: SnapshotProgress,
  report: () => void,
  reserveTags?: (count: number) => void,
): Promise<RepositorySnapshot | { skipped: string }> {
  const tagList = await listTagsOrSkip(client, name);
  if (!Array.isArray(tagList)) return tagList;
  // The run holds every listed repository until it plans: its memory grows with the tags of all.
  progress.tagsListed += tagList.length;
  const maxTags = client.limits.maxTagsPerRun;
  if (progress.tagsListed > maxTags) {
    throw limitExceeded('maxTagsPerRun', maxTags, { method: 'GET', url: `${client.baseUrl}/v2/${name}/tags/list` }, `${progress.tagsListed} tags listed in this run`);
  }
  reserveTags?.(tagList.length);
  const tags: Record<string, string> = {};
  await mapBounded(tagList, TASKS_PER_REPOSITORY, async (tag) => {
    tags[tag] = (await client.headManifest(name, tag)).digest;
    progress.tagsResolved++;
    report();
  });
  const artifactDigests = new Set(Object.entries(tags).filter(([tag]) => subjectOfAttachedArtifactTag(tag) !== undefined).map(([, d]) => d));
  const manifests: Record<string, ManifestSnapshot> = {};
  // Every manifest is fetched once; an index schedules its children instead of waiting on them,
  // so no visit ever waits on another and a registry sending cyclic indexes cannot hang the run.
  const pending = new Map<string, Promise<void>>();
  const scheduled: Array<Promise<void>> = [];
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
        for (const child of children) void visit(child, needsAge);
      } else {
        const created = needsAge ? (await client.getImageConfig(name, fetched.manifest.config.digest)).created : undefined;
        manifests[digest] = { mediaType: fetched.mediaType, ...(created !== undefined ? { created } : {}) };
      }
    })();
    // Awaited below; marked handled here so a failure among many is reported once, not as unhandled.
    work.catch(() => undefined);
    pending.set(digest, work);
    scheduled.push(work);
    return work;
  };
  await mapBounded([...new Set(Object.values(tags))], TASKS_PER_REPOSITORY, (digest) => visit(digest, !artifactDigests.has(digest)));
  // Children scheduled while waiting join the list: drain it to the end.
  for (let i = 0; i < scheduled.length; i++) await scheduled[i];
  refuseIndexCycles(client, name, manifests);
  return { name, tags, manifests };
}

/**
 * An index that refers back to itself through its children is no image a registry can serve; a
 * planner following children would never end. The listing is refused, and the run deletes nothing.
 */
function refuseIndexCycles(client: RegistryV2Client, repository: string, manifests: Record<string, ManifestSnapshot>): void {
  const state = new Map<string, 'open' | 'done'>();
  const walk = (digest: string): void => {
    if (state.get(digest) === 'done') return;
    if (state.get(digest) === 'open') {
      throw new RegistryApiError({
        code: REGISTRY_ERROR_CODES.invalidResponse,
        method: 'GET',
        url: `${client.baseUrl}/v2/${repository}/manifests/${digest}`,
        message: `${repository}@${digest}: an index refers back to itself through its children; refusing to plan on a cyclic listing.`,
      });
    }
    state.set(digest, 'open');
    for (const child of manifests[digest]?.children ?? []) walk(child);
    state.set(digest, 'done');
  };
  for (const digest of Object.keys(manifests)) walk(digest);
}
