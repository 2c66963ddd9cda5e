/**
 * planRetention: the pure decision of what a RetentionPolicy deletes from a registry snapshot.
 * The policy says which tags it keeps (keep-rules.ts); this module then enforces the safety
 * invariants, which only ever keep more:
 *   1. a digest is deleted only when every tag on it is deletable (DELETE by digest removes all);
 *   2. children of a kept index are kept; an untagged child of a deleted index goes with it;
 *      untagged manifests no index references are left to garbage collection;
 *   3. signatures/attestations (sha256-<hex>.sig|.att|.sbom) follow their subject digest;
 *   4. protected tags and repositories outside the scope are never touched;
 *   5. what the cluster runs (in-use.ts) is kept: a tag in use, every tag on a digest in use, and
 *      every index above a digest in use (with its tags), whatever the rules say.
 * On a registry that can untag (distribution 3.x), a tag that invariants 1 or 2 would keep only
 * because its manifest must stay is untagged instead: the manifest stays, the tag goes.
 */
import { policyRepositoryScope } from './policy-scope.js';
import type { RetentionPolicySpec } from '../api/retention-policy.js';
import { imageAgeOf } from './image-age.js';
import { tagsKeptByPolicy } from './keep-rules.js';
import { describeUsers, type RegistryUsage, type RepositoryUsage } from './in-use.js';
import { lastPullOf, type PullRecords } from './pull-records.js';
import type { PlannedDelete, PlannedKeep, PlannedUntag, RepositoryPlan, RetentionPlan } from './plan.js';
import type { RegistrySnapshot, RepositorySnapshot } from './snapshot.js';

export { isDeleteStillValid } from './plan.js';
export type { PlannedDelete, PlannedKeep, PlannedUntag, RepositoryPlan, RetentionPlan, RetentionPlanSummary } from './plan.js';

/** cosign's tag scheme for artifacts attached to an image: sha256-<hex of the subject>.<kind>. */
const ATTACHED_ARTIFACT_TAG = /^sha256-([0-9a-f]{64})\.(sig|att|sbom)$/;

export interface PlanRetentionOptions {
  now: Date;
  policyName: string;
  /**
   * The registry removes a tag on `DELETE /v2/<name>/manifests/<tag>` without deleting the
   * manifest (distribution 3.x). Default false: distribution 2.x has no such call.
   */
  canUntag?: boolean;
  /** What the cluster runs from this registry (in-use.ts); absent: in-use protection is off. */
  inUse?: RegistryUsage;
  /** The policy's namespace: users in it are named in reasons, others are not. */
  policyNamespace?: string;
  /** Said in the plan's notes, e.g. that in-use protection is off or partial for this run. */
  notes?: string[];
  /** The registry's pull records (pulledWithin, mostRecentlyPulled); absent: none, and pull rules keep every tag they select. */
  pulls?: PullRecords;
}

/** The subject digest a signature/attestation tag refers to, or undefined for an ordinary tag. */
export function subjectOfAttachedArtifactTag(tag: string): string | undefined {
  const match = ATTACHED_ARTIFACT_TAG.exec(tag);
  return match ? `sha256:${match[1]}` : undefined;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Digests reachable from `roots` through index children (roots included). */
function withDescendants(repository: RepositorySnapshot, roots: Iterable<string>): Set<string> {
  const reached = new Set<string>();
  const pending = [...roots];
  for (let digest = pending.pop(); digest !== undefined; digest = pending.pop()) {
    if (reached.has(digest)) continue;
    reached.add(digest);
    pending.push(...(repository.manifests[digest]?.children ?? []));
  }
  return reached;
}

/**
 * The deleted roots plus their untagged descendants, less anything kept. An untagged child that
 * a surviving manifest (say an untagged index GC has not collected yet) still references stays:
 * deleting it would break that manifest.
 */
function deletableDescendants(
  repository: RepositorySnapshot,
  deletedRoots: readonly string[],
  keptParents: ReadonlyMap<string, string>,
): Set<string> {
  const roots = new Set(deletedRoots);
  const deleted = new Set([...withDescendants(repository, deletedRoots)].filter((digest) => !keptParents.has(digest)));
  for (let changed = true; changed; ) {
    changed = false;
    for (const [digest, manifest] of Object.entries(repository.manifests)) {
      if (deleted.has(digest)) continue;
      for (const child of manifest.children ?? []) {
        if (deleted.has(child) && !roots.has(child)) {
          deleted.delete(child);
          changed = true;
        }
      }
    }
  }
  return deleted;
}

/** Safety reasons that keep a tag only because its manifest must stay: an untag removes such a tag and keeps the manifest. */
type SafetyKeep = { reason: string; manifestOnly: boolean };

/**
 * The tags kept because the cluster uses them: tags in use by name, every tag on a digest in use,
 * and every tag of an index that holds a digest in use (any depth), since deleting the index
 * would not delete the child but deleting a tag's digest would, and a child is what runs.
 */
function tagsKeptInUse(repository: RepositorySnapshot, usage: RepositoryUsage | undefined, policyNamespace: string | undefined): Map<string, string> {
  const kept = new Map<string, string>();
  if (!usage) return kept;
  for (const [tag, users] of usage.tags) if (repository.tags[tag] !== undefined) kept.set(tag, `kept: ${describeUsers(users, policyNamespace)}`);
  const parents = new Map<string, string[]>();
  for (const [digest, manifest] of Object.entries(repository.manifests)) for (const child of manifest.children ?? []) parents.set(child, [...(parents.get(child) ?? []), digest]);
  const protectedDigests = new Map<string, string>();
  for (const [digest, users] of usage.digests) {
    const why = `kept: ${describeUsers(users, policyNamespace)}`;
    const pending: Array<[string, string]> = [[digest, why]];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const [current, reason] = next;
      if (protectedDigests.has(current)) continue;
      protectedDigests.set(current, reason);
      for (const parent of parents.get(current) ?? []) pending.push([parent, `kept: holds ${digest}, ${describeUsers(users, policyNamespace)}`]);
    }
  }
  for (const [tag, digest] of Object.entries(repository.tags)) {
    const reason = protectedDigests.get(digest);
    if (reason !== undefined && !kept.has(tag)) kept.set(tag, reason);
  }
  return kept;
}

function planRepository(
  spec: RetentionPolicySpec,
  repository: RepositorySnapshot,
  nowMs: number,
  canUntag: boolean,
  usage: RepositoryUsage | undefined,
  policyNamespace: string | undefined,
  pulls: PullRecords | undefined,
): RepositoryPlan {
  const allTags = Object.keys(repository.tags).sort(byString);
  const digestOf = (tag: string): string => repository.tags[tag] ?? '';
  const tagsOnDigest = new Map<string, string[]>();
  for (const tag of allTags) tagsOnDigest.set(digestOf(tag), [...(tagsOnDigest.get(digestOf(tag)) ?? []), tag]);

  // Signatures never take part in the rules: they follow their subject instead (invariant 3).
  const ruleCandidates = allTags
    .filter((tag) => subjectOfAttachedArtifactTag(tag) === undefined)
    .map((tag) => {
      const lastPullMs = lastPullOf(pulls, repository.name, digestOf(tag));
      return { tag, age: imageAgeOf(repository, digestOf(tag), nowMs), ...(lastPullMs !== undefined && { lastPullMs }) };
    });
  const keptReasons = tagsKeptByPolicy(spec, allTags, ruleCandidates, nowMs, pulls);
  // What runs is kept whatever the rules say (a rule's own reason stays when it keeps the tag too).
  let keptInUse = 0;
  for (const [tag, reason] of tagsKeptInUse(repository, usage, policyNamespace)) {
    if (keptReasons.has(tag)) continue;
    keptReasons.set(tag, reason);
    keptInUse++;
  }

  // Keeping only grows, so this loop ends: each pass either keeps another tag or stops.
  let deleted = new Set<string>();
  let keptParents = new Map<string, string>();
  // Tags kept only because their manifest must stay; the policy itself would let them go.
  const manifestOnlyKeeps = new Set<string>();
  for (;;) {
    const keptRoots = [...new Set([...keptReasons.keys()].map(digestOf))].sort(byString);
    keptParents = new Map();
    for (const root of keptRoots) {
      for (const digest of withDescendants(repository, [root])) if (!keptParents.has(digest)) keptParents.set(digest, root);
    }
    const deletedRoots = [...tagsOnDigest.entries()]
      .filter(([digest, tags]) => !keptParents.has(digest) && tags.every((tag) => !keptReasons.has(tag)))
      .map(([digest]) => digest);
    deleted = deletableDescendants(repository, deletedRoots, keptParents);

    let changed = false;
    for (const tag of allTags) {
      if (keptReasons.has(tag)) continue;
      const digest = digestOf(tag);
      const safety = safetyReasonToKeep(repository, tag, digest, keptParents, deleted, tagsOnDigest, keptReasons);
      if (safety !== undefined) {
        keptReasons.set(tag, safety.reason);
        if (safety.manifestOnly) manifestOnlyKeeps.add(tag);
        changed = true;
      }
    }
    if (!changed) break;
  }

  // Untagging leaves every digest where it was (the tag's manifest is kept for another reason),
  // so it changes nothing the loop above decided.
  const keep: PlannedKeep[] = [];
  const untag: PlannedUntag[] = [];
  for (const [tag, reason] of keptReasons) {
    if (canUntag && manifestOnlyKeeps.has(tag)) untag.push({ tag, digest: digestOf(tag), reason: reason.replace(/^kept: /, 'untagged, manifest kept: ') });
    else keep.push({ tag, digest: digestOf(tag), reason });
  }
  keep.sort((a, b) => byString(a.tag, b.tag));
  untag.sort((a, b) => byString(a.tag, b.tag));
  const deletes: PlannedDelete[] = [...deleted].sort(byString).map((digest) => {
    const tags = tagsOnDigest.get(digest) ?? [];
    return { digest, tags, reason: deleteReason(repository, digest, tags, deleted) };
  });
  return { name: repository.name, keep, delete: deletes, untag, ...(usage !== undefined && keptInUse > 0 && { keptInUse }) };
}

/** Why a tag the policy does not keep must be kept anyway, or undefined when it may go. */
function safetyReasonToKeep(
  repository: RepositorySnapshot,
  tag: string,
  digest: string,
  keptParents: ReadonlyMap<string, string>,
  deleted: ReadonlySet<string>,
  tagsOnDigest: ReadonlyMap<string, string[]>,
  keptReasons: ReadonlyMap<string, string>,
): SafetyKeep | undefined {
  // An attached artifact's tag is how clients find it (there is no referrers API): never untagged.
  const subject = subjectOfAttachedArtifactTag(tag);
  const manifestOnly = subject === undefined;
  const keptSibling = (tagsOnDigest.get(digest) ?? []).find((other) => keptReasons.has(other));
  if (keptSibling !== undefined) return { reason: `kept: shares digest with kept tag ${keptSibling}`, manifestOnly };
  const keptRoot = keptParents.get(digest);
  if (keptRoot !== undefined) return { reason: `kept: referenced by kept index ${keptRoot}`, manifestOnly };
  if (subject === undefined) return undefined;
  const subjectPresent = repository.manifests[subject] !== undefined || tagsOnDigest.has(subject);
  if (!subjectPresent) return { reason: 'subject not found: left untouched', manifestOnly: false };
  if (!deleted.has(subject)) return { reason: `kept: follows its subject ${subject}, which is kept`, manifestOnly: false };
  return undefined;
}

function deleteReason(repository: RepositorySnapshot, digest: string, tags: readonly string[], deleted: ReadonlySet<string>): string {
  if (tags.length === 0) {
    const parent = Object.keys(repository.manifests)
      .sort(byString)
      .find((candidate) => deleted.has(candidate) && (repository.manifests[candidate]?.children ?? []).includes(digest));
    return `deleted: child of deleted index ${parent ?? 'unknown'}`;
  }
  const subjects = tags.map(subjectOfAttachedArtifactTag).filter((s): s is string => s !== undefined);
  if (subjects.length === tags.length) return `deleted: follows its deleted subject ${subjects[0]}`;
  return 'deleted: not kept by any rule';
}

/**
 * Decides, for every repository in the policy's scope, which tags are kept (and why) and which
 * digests are deleted (and which tags go with them). Pure: same inputs, same plan, sorted output.
 */
export function planRetention(spec: RetentionPolicySpec, snapshot: RegistrySnapshot, options: PlanRetentionOptions): RetentionPlan {
  const inScope = policyRepositoryScope(spec);
  const nowMs = options.now.getTime();
  const repositories = snapshot.repositories
    .filter((repository) => inScope(repository.name))
    .sort((a, b) => byString(a.name, b.name))
    .map((repository) => planRepository(spec, repository, nowMs, options.canUntag ?? false, options.inUse?.get(repository.name), options.policyNamespace, options.pulls));
  const kept = repositories.reduce((sum, r) => sum + r.keep.length, 0);
  const untagTags = repositories.reduce((sum, r) => sum + r.untag.length, 0);
  const deleteDigests = repositories.reduce((sum, r) => sum + r.delete.length, 0);
  const deleteTags = repositories.reduce((sum, r) => sum + r.delete.reduce((n, d) => n + d.tags.length, 0), 0);
  const skippedRepositories = (snapshot.skippedRepositories ?? []).filter((r) => inScope(r.name));
  return {
    registry: snapshot.registry,
    policy: options.policyName,
    repositories,
    summary: {
      repositories: repositories.length, tags: kept + deleteTags + untagTags, kept, deleteDigests, deleteTags, untagTags,
      ...(options.inUse && { keptInUse: repositories.reduce((sum, r) => sum + (r.keptInUse ?? 0), 0) }),
    },
    ...(skippedRepositories.length > 0 && { skippedRepositories }),
    ...(options.notes && options.notes.length > 0 && { notes: [...options.notes] }),
  };
}
