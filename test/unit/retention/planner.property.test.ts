/**
 * Property tests of the safety invariants of planRetention over generated registries and
 * policies: whatever the rules say, nothing kept may break, and a re-run converges.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGlobMatcher, createScopeMatcher } from '../../../src/api/glob.js';
import type { RetentionPolicySpec } from '../../../src/api/retention-policy.js';
import { planRetention, subjectOfAttachedArtifactTag, type RetentionPlan } from '../../../src/retention/planner.js';
import type { ManifestSnapshot, RegistrySnapshot, RepositorySnapshot } from '../../../src/retention/snapshot.js';
import { daysAgo, digestOf, image, index, NOW, policy, signatureTag } from './fixtures.js';

const options = { now: NOW, policyName: 'prop' };
const TAG_POOL = ['latest', 'stable', 'v1.0.0', 'v1.0.1', 'v1.1.0', 'v2.0.0', 'release-1', 'dev', 'main', 'a', 'b'];
const REPO_NAMES = ['app', 'app/web', 'app/legacy', 'lib'];

const createdArb = fc.oneof(
  fc.constantFrom(null, undefined, '1970-01-01T00:00:00Z', '2030-01-01T00:00:00Z'),
  fc.integer({ min: 0, max: 60 }).map(daysAgo),
);

function repositoryArb(name: string, base: number): fc.Arbitrary<RepositorySnapshot> {
  return fc
    .array(fc.record({ created: createdArb, isIndex: fc.boolean(), children: fc.uniqueArray(fc.nat(9), { maxLength: 3 }) }), {
      minLength: 1,
      maxLength: 8,
    })
    .chain((specs) => {
      const manifests: Record<string, ManifestSnapshot> = {};
      specs.forEach((s, i) => {
        // Children only point to earlier manifests (no cycles), or past the end (a missing child).
        const children = s.children.filter((c) => c < i || c >= specs.length).map((c) => digestOf(base + c));
        manifests[digestOf(base + i)] = s.isIndex && children.length > 0 ? index(children) : image(s.created);
      });
      const target = fc.nat(specs.length - 1).map((i) => digestOf(base + i));
      const ordinaryTags = fc.dictionary(fc.constantFrom(...TAG_POOL), target, { maxKeys: 8 });
      // Signature tags of images in the repository, and of one that is not there (base + 50).
      const signatureTags = fc.dictionary(
        fc.tuple(fc.oneof(fc.nat(specs.length - 1), fc.constant(50)), fc.constantFrom('sig', 'att', 'sbom') as fc.Arbitrary<'sig' | 'att' | 'sbom'>)
          .map(([i, kind]) => signatureTag(digestOf(base + i), kind)),
        target,
        { maxKeys: 3 },
      );
      return fc.tuple(ordinaryTags, signatureTags).map(([tags, signatures]) => ({ name, tags: { ...tags, ...signatures }, manifests }));
    });
}

const snapshotArb: fc.Arbitrary<RegistrySnapshot> = fc
  .subarray(REPO_NAMES, { minLength: 1 })
  .chain((names) => fc.tuple(...names.map((name, i) => repositoryArb(name, (i + 1) * 1000))))
  .map((repositories) => ({ registry: 'https://registry.test', repositories }));

const ruleArb = fc.record({
  tags: fc.constantFrom<string[]>(['*'], ['v*'], ['release-*', 'a']),
  excludeTags: fc.constantFrom<string[]>([], ['dev']),
  mostRecent: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  newerThan: fc.option(fc.constantFrom<string>('1d', '30d', '720h'), { nil: undefined }),
  semver: fc.option(fc.constantFrom<{ latestPerMinor?: number; latestPerMajor?: number }>({ latestPerMinor: 1 }, { latestPerMajor: 1 }, { latestPerMinor: 2, latestPerMajor: 1 }), { nil: undefined }),
});

const policyArb: fc.Arbitrary<RetentionPolicySpec> = fc
  .record({
    repositories: fc.constantFrom<string[]>(['**'], ['app/**']),
    excludeRepositories: fc.constantFrom<string[]>([], ['app/legacy/**']),
    protectedTags: fc.constantFrom<string[]>([], ['latest'], ['stable', 'v1.*']),
    keep: fc.array(ruleArb, { minLength: 1, maxLength: 3 }),
  })
  .map((spec) => policy(spec));

/** What the registry looks like after the plan is applied: deleted digests and their tags gone. */
function applyPlan(snapshot: RegistrySnapshot, plan: RetentionPlan): RegistrySnapshot {
  return {
    registry: snapshot.registry,
    repositories: snapshot.repositories.map((repository) => {
      const deleted = new Set(plan.repositories.find((r) => r.name === repository.name)?.delete.map((d) => d.digest) ?? []);
      return {
        name: repository.name,
        tags: Object.fromEntries(Object.entries(repository.tags).filter(([, digest]) => !deleted.has(digest))),
        manifests: Object.fromEntries(Object.entries(repository.manifests).filter(([digest]) => !deleted.has(digest))),
      };
    }),
  };
}

function descendants(repository: RepositorySnapshot, digest: string, into = new Set<string>()): Set<string> {
  for (const child of repository.manifests[digest]?.children ?? []) {
    if (!into.has(child)) {
      into.add(child);
      descendants(repository, child, into);
    }
  }
  return into;
}

const property = (check: (spec: RetentionPolicySpec, snapshot: RegistrySnapshot, plan: RetentionPlan) => void) =>
  fc.assert(
    fc.property(policyArb, snapshotArb, (spec, snapshot) => check(spec, snapshot, planRetention(spec, snapshot, options))),
    { numRuns: 300 },
  );

function eachPlannedRepository(snapshot: RegistrySnapshot, plan: RetentionPlan, check: (repo: RepositorySnapshot, keptTags: Set<string>, deleted: Set<string>) => void) {
  for (const repoPlan of plan.repositories) {
    const repository = snapshot.repositories.find((r) => r.name === repoPlan.name);
    if (repository === undefined) throw new Error(`plan names unknown repository ${repoPlan.name}`);
    check(repository, new Set(repoPlan.keep.map((k) => k.tag)), new Set(repoPlan.delete.map((d) => d.digest)));
  }
}

describe('planRetention invariants (property)', () => {
  it('1: a deleted digest carries only deletable tags, and its entry lists every tag on it', () => {
    property((_spec, snapshot, plan) =>
      eachPlannedRepository(snapshot, plan, (repository, keptTags, deleted) => {
        for (const [tag, digest] of Object.entries(repository.tags)) {
          expect(keptTags.has(tag) !== deleted.has(digest), `${tag} is either kept or deleted with its digest`).toBe(true);
        }
        for (const entry of plan.repositories.find((r) => r.name === repository.name)?.delete ?? []) {
          const onDigest = Object.entries(repository.tags).filter(([, d]) => d === entry.digest).map(([t]) => t).sort();
          expect(entry.tags).toEqual(onDigest);
        }
      }),
    );
  });

  it('2: nothing a kept tag reaches through index children is deleted; untagged deletes are children of deleted indexes', () => {
    property((_spec, snapshot, plan) =>
      eachPlannedRepository(snapshot, plan, (repository, keptTags, deleted) => {
        for (const tag of keptTags) {
          for (const child of descendants(repository, repository.tags[tag] ?? '')) expect(deleted.has(child)).toBe(false);
        }
        const tagged = new Set(Object.values(repository.tags));
        for (const digest of deleted) {
          if (tagged.has(digest)) continue;
          const parents = Object.entries(repository.manifests).filter(([, m]) => (m.children ?? []).includes(digest));
          expect(parents.length).toBeGreaterThan(0);
          for (const [parent] of parents) expect(deleted.has(parent), `every index referencing ${digest} is deleted`).toBe(true);
        }
      }),
    );
  });

  it('3: a signature is deleted exactly when its subject is; one without a subject is left alone', () => {
    property((_spec, snapshot, plan) =>
      eachPlannedRepository(snapshot, plan, (repository, keptTags, deleted) => {
        for (const [tag, digest] of Object.entries(repository.tags)) {
          const subject = subjectOfAttachedArtifactTag(tag);
          if (subject === undefined) continue;
          const subjectPresent = repository.manifests[subject] !== undefined || Object.values(repository.tags).includes(subject);
          if (!subjectPresent) expect(keptTags.has(tag)).toBe(true);
          else if (!deleted.has(subject)) expect(keptTags.has(tag)).toBe(true);
          // A deleted subject takes its signature along unless the signature's digest is kept for another reason.
          else if (!keptTags.has(tag)) expect(deleted.has(digest)).toBe(true);
        }
      }),
    );
  });

  it('4: protected tags are kept and repositories outside the scope are not in the plan', () => {
    property((spec, snapshot, plan) => {
      const inScope = createScopeMatcher({ include: spec.repositories, exclude: spec.excludeRepositories }, 'repository');
      expect(plan.repositories.map((r) => r.name)).toEqual(snapshot.repositories.map((r) => r.name).filter(inScope).sort());
      const isProtected = createGlobMatcher(spec.protectedTags, 'tag');
      eachPlannedRepository(snapshot, plan, (repository, keptTags) => {
        for (const tag of Object.keys(repository.tags)) if (isProtected(tag)) expect(keptTags.has(tag)).toBe(true);
      });
    });
  });

  it('the summary adds up and the plan is sorted', () => {
    property((_spec, snapshot, plan) => {
      const inPlan = snapshot.repositories.filter((r) => plan.repositories.some((p) => p.name === r.name));
      const tags = inPlan.reduce((n, r) => n + Object.keys(r.tags).length, 0);
      const deleteTags = plan.repositories.reduce((n, r) => n + r.delete.reduce((m, d) => m + d.tags.length, 0), 0);
      const kept = plan.repositories.reduce((n, r) => n + r.keep.length, 0);
      expect(plan.summary).toEqual({
        repositories: plan.repositories.length,
        tags,
        kept,
        deleteDigests: plan.repositories.reduce((n, r) => n + r.delete.length, 0),
        deleteTags,
        untagTags: 0,
      });
      expect(kept + deleteTags).toBe(tags);
      for (const r of plan.repositories) {
        expect(r.keep.map((k) => k.tag)).toEqual(r.keep.map((k) => k.tag).sort());
        expect(r.delete.map((d) => d.digest)).toEqual(r.delete.map((d) => d.digest).sort());
      }
    });
  });

  it('untag (distribution 3.x): the same deletes; only tags kept for their manifest are untagged, never an attached artifact; every tag is kept, deleted or untagged', () => {
    property((spec, snapshot, plan) => {
      const untagging = planRetention(spec, snapshot, { ...options, canUntag: true });
      expect(untagging.repositories.map((r) => r.delete)).toEqual(plan.repositories.map((r) => r.delete));
      for (const [i, repoPlan] of untagging.repositories.entries()) {
        const before = plan.repositories[i]!;
        const repository = snapshot.repositories.find((r) => r.name === repoPlan.name)!;
        const untagged = new Set(repoPlan.untag.map((u) => u.tag));
        const deleted = new Set(repoPlan.delete.map((d) => d.digest));
        // What is untagged was kept before, for its manifest's sake; the rest of keep is unchanged.
        expect([...repoPlan.keep.map((k) => k.tag), ...untagged].sort()).toEqual(before.keep.map((k) => k.tag).sort());
        for (const entry of repoPlan.untag) {
          expect(subjectOfAttachedArtifactTag(entry.tag)).toBeUndefined();
          expect(deleted.has(entry.digest)).toBe(false);
          expect(entry.digest).toBe(repository.tags[entry.tag]);
          const reasonBefore = before.keep.find((k) => k.tag === entry.tag)?.reason ?? '';
          expect(reasonBefore).toMatch(/^kept: (shares digest with kept tag|referenced by kept index) /);
        }
        expect(untagging.summary.tags).toBe(plan.summary.tags);
      }
      const untagTags = untagging.repositories.reduce((n, r) => n + r.untag.length, 0);
      expect(untagging.summary).toEqual({ ...plan.summary, kept: plan.summary.kept - untagTags, untagTags });
    });
  });

  it('is deterministic: the same state listed in another order gives the same plan', () => {
    property((spec, snapshot, plan) => {
      const reordered: RegistrySnapshot = {
        registry: snapshot.registry,
        repositories: [...snapshot.repositories].reverse().map((r) => ({
          name: r.name,
          tags: Object.fromEntries(Object.entries(r.tags).reverse()),
          manifests: Object.fromEntries(Object.entries(r.manifests).reverse()),
        })),
      };
      expect(planRetention(spec, reordered, options)).toEqual(plan);
    });
  });

  it('converges: after applying the plan, re-planning deletes nothing and keeps every remaining tag', () => {
    property((spec, snapshot, plan) => {
      const again = planRetention(spec, applyPlan(snapshot, plan), options);
      expect(again.summary.deleteDigests).toBe(0);
      expect(again.summary.kept).toBe(plan.summary.kept);
    });
  });
});
