import { describe, expect, it } from 'vitest';
import { planRetention, type RetentionPlan } from '../../../src/retention/planner.js';
import type { RepositorySnapshot } from '../../../src/retention/snapshot.js';
import { daysAgo, digestOf, image, index, NOW, policy, registry, signatureTag } from './fixtures.js';

const options = { now: NOW, policyName: 'web' };

/** A repository whose tags each point to their own image, created `ages[tag]` days ago. */
function repoWithAges(name: string, ages: Record<string, number | string | null | undefined>): RepositorySnapshot {
  const repository: RepositorySnapshot = { name, tags: {}, manifests: {} };
  Object.entries(ages).forEach(([tag, age], i) => {
    const digest = digestOf(i + 1);
    repository.tags[tag] = digest;
    repository.manifests[digest] = image(typeof age === 'number' ? daysAgo(age) : age);
  });
  return repository;
}

function keptTags(plan: RetentionPlan, repository = 0): Record<string, string> {
  return Object.fromEntries((plan.repositories[repository]?.keep ?? []).map((k) => [k.tag, k.reason]));
}

function deletedTags(plan: RetentionPlan, repository = 0): string[] {
  return (plan.repositories[repository]?.delete ?? []).flatMap((d) => d.tags).sort();
}

describe('planRetention keep rules', () => {
  it('mostRecent keeps the N newest selected tags and deletes the rest', () => {
    const repo = repoWithAges('app', { v1: 30, v2: 20, v3: 10, dev: 1 });
    const plan = planRetention(policy({ keep: [{ tags: ['v*'], mostRecent: 2 }] }), registry(repo), options);
    expect(keptTags(plan)).toEqual({ v2: 'kept by rule 1: among 2 most recent v* tags', v3: 'kept by rule 1: among 2 most recent v* tags' });
    expect(deletedTags(plan)).toEqual(['dev', 'v1']);
    expect(plan.repositories[0]?.delete[0]?.reason).toBe('deleted: not kept by any rule');
  });

  it('mostRecent breaks ties in created time by tag name', () => {
    const repo = repoWithAges('app', { b: 5, a: 5, c: 5 });
    const plan = planRetention(policy({ keep: [{ mostRecent: 2 }] }), registry(repo), options);
    expect(Object.keys(keptTags(plan))).toEqual(['a', 'b']);
  });

  it('newerThan keeps images created within the duration', () => {
    const repo = repoWithAges('app', { old: 40, recent: 10 });
    const plan = planRetention(policy({ keep: [{ newerThan: '720h' }] }), registry(repo), options);
    expect(keptTags(plan)).toEqual({ recent: 'kept by rule 1: created within 720h' });
    expect(deletedTags(plan)).toEqual(['old']);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['zero (1970)', '1970-01-01T00:00:00Z'],
    ['in the future', '2030-01-01T00:00:00Z'],
    ['unparsable', 'yesterday'],
  ])('treats a created time that is %s as new, and says so', (_label, created) => {
    const repo = repoWithAges('app', { fresh: 1, odd: created, old: 100 });
    const byAge = planRetention(policy({ keep: [{ newerThan: '30d' }] }), registry(repo), options);
    expect(keptTags(byAge).odd).toBe('kept by rule 1: created within 30d (created time missing or invalid: treated as new)');
    const byRank = planRetention(policy({ keep: [{ mostRecent: 1 }] }), registry(repo), options);
    expect(Object.keys(keptTags(byRank))).toEqual(['odd']);
    expect(keptTags(byRank).odd).toContain('treated as new');
  });

  it('a rule within a union: mostRecent or newerThan', () => {
    const repo = repoWithAges('app', { a: 1, b: 2, c: 3, d: 50 });
    const plan = planRetention(policy({ keep: [{ mostRecent: 1, newerThan: '3d' }] }), registry(repo), options);
    expect(Object.keys(keptTags(plan))).toEqual(['a', 'b', 'c']);
  });

  it('a rule with no criterion keeps every tag it selects; excludeTags removes from the selection', () => {
    const repo = repoWithAges('app', { 'release-1': 300, 'release-2-rc': 300, main: 300 });
    const plan = planRetention(policy({ keep: [{ tags: ['release-*'], excludeTags: ['*-rc'] }] }), registry(repo), options);
    expect(keptTags(plan)).toEqual({ 'release-1': 'kept by rule 1: selects every release-* tag' });
    expect(deletedTags(plan)).toEqual(['main', 'release-2-rc']);
  });

  it('semver latestPerMinor and latestPerMajor rank by version, not age', () => {
    const repo = repoWithAges('app', { 'v1.2.1': 1, 'v1.2.3': 100, '1.3.0': 50, 'v2.0.0': 9, 'v2.1.0': 90, nightly: 1 });
    const perMinor = planRetention(policy({ keep: [{ semver: { latestPerMinor: 1 } }] }), registry(repo), options);
    expect(keptTags(perMinor)).toEqual({
      '1.3.0': 'kept by rule 1: among 1 latest of semver 1.3.x',
      'v1.2.3': 'kept by rule 1: among 1 latest of semver 1.2.x',
      'v2.0.0': 'kept by rule 1: among 1 latest of semver 2.0.x',
      'v2.1.0': 'kept by rule 1: among 1 latest of semver 2.1.x',
    });
    const perMajor = planRetention(policy({ keep: [{ semver: { latestPerMajor: 1 } }] }), registry(repo), options);
    expect(Object.keys(keptTags(perMajor))).toEqual(['1.3.0', 'v2.1.0']);
  });

  it('any rule keeps: the first rule that keeps a tag names the reason', () => {
    const repo = repoWithAges('app', { v1: 100, 'release-1': 100 });
    const plan = planRetention(policy({ keep: [{ tags: ['v*'] }, { tags: ['release-*', 'v*'] }] }), registry(repo), options);
    expect(keptTags(plan)).toEqual({ v1: 'kept by rule 1: selects every v* tag', 'release-1': 'kept by rule 2: selects every release-*,v* tag' });
  });
});

describe('planRetention scope and protection', () => {
  it('skips repositories outside the scope entirely', () => {
    const plan = planRetention(
      policy({ repositories: ['app/**'], excludeRepositories: ['app/legacy/**'], keep: [{ mostRecent: 1 }] }),
      registry(repoWithAges('other', { a: 1, b: 2 }), repoWithAges('app/web', { a: 1, b: 2 }), repoWithAges('app/legacy', { a: 1, b: 2 })),
      options,
    );
    expect(plan.repositories.map((r) => r.name)).toEqual(['app/web']);
    expect(plan.summary).toEqual({ repositories: 1, tags: 2, kept: 1, deleteDigests: 1, deleteTags: 1, untagTags: 0 });
  });

  it('carries repositories skipped at a per-repository limit into the plan, without planning them', () => {
    const snapshot = { ...registry(repoWithAges('app/web', { a: 1, b: 2 })), skippedRepositories: [{ name: 'app/huge', reason: 'tags past maxTagsPerRepository' }, { name: 'other', reason: 'x' }] };
    const plan = planRetention(policy({ repositories: ['app/**'], keep: [{ mostRecent: 1 }] }), snapshot, options);
    expect(plan.repositories.map((r) => r.name)).toEqual(['app/web']);
    expect(plan.skippedRepositories).toEqual([{ name: 'app/huge', reason: 'tags past maxTagsPerRepository' }]);
    expect(planRetention(policy({ keep: [{ mostRecent: 1 }] }), registry(repoWithAges('a', { x: 1 })), options)).not.toHaveProperty('skippedRepositories');
  });

  it('never deletes protected tags, and keeps the tags that share their digest', () => {
    const repo = repoWithAges('app', { latest: 500, old: 400 });
    repo.tags['build-7'] = repo.tags.latest ?? '';
    const plan = planRetention(policy({ protectedTags: ['latest'], keep: [{ tags: ['v*'] }] }), registry(repo), options);
    expect(keptTags(plan)).toEqual({ latest: 'protected tag', 'build-7': 'kept: shares digest with kept tag latest' });
    expect(deletedTags(plan)).toEqual(['old']);
  });

  it('untags (distribution 3.x) a tag that shares its digest with a kept tag, instead of keeping it; 2.x keeps it', () => {
    const repo = repoWithAges('app', { latest: 500, old: 400 });
    repo.tags['build-7'] = repo.tags.latest ?? '';
    const spec = policy({ protectedTags: ['latest'], keep: [{ tags: ['v*'] }] });
    const plan = planRetention(spec, registry(repo), { ...options, canUntag: true });
    expect(keptTags(plan)).toEqual({ latest: 'protected tag' });
    expect(plan.repositories[0]?.untag).toEqual([{ tag: 'build-7', digest: digestOf(1), reason: 'untagged, manifest kept: shares digest with kept tag latest' }]);
    expect(deletedTags(plan)).toEqual(['old']);
    expect(plan.summary).toMatchObject({ tags: 3, kept: 1, deleteTags: 1, untagTags: 1 });
    expect(planRetention(spec, registry(repo), options).repositories[0]?.untag).toEqual([]);
  });

  it('untags a tag on a child of a kept index, never a signature that follows its kept subject', () => {
    const child = digestOf(10);
    const top = digestOf(20);
    const repo: RepositorySnapshot = {
      name: 'app',
      tags: { v2: top, 'v2-amd64': child, [signatureTag(top)]: digestOf(30) },
      manifests: { [child]: image(daysAgo(300)), [top]: index([child]), [digestOf(30)]: image(daysAgo(300)) },
    };
    const plan = planRetention(policy({ keep: [{ tags: ['v2'] }] }), registry(repo), { ...options, canUntag: true });
    expect(plan.repositories[0]?.untag).toEqual([{ tag: 'v2-amd64', digest: child, reason: `untagged, manifest kept: referenced by kept index ${top}` }]);
    expect(Object.keys(keptTags(plan)).sort()).toEqual([signatureTag(top), 'v2'].sort());
    expect(plan.repositories[0]?.delete).toEqual([]);
  });

  it('deletes a digest with all its tags when none is kept', () => {
    const repo = repoWithAges('app', { a: 500, keep: 1 });
    repo.tags.b = repo.tags.a ?? '';
    const plan = planRetention(policy({ keep: [{ tags: ['keep'] }] }), registry(repo), options);
    expect(plan.repositories[0]?.delete).toEqual([{ digest: digestOf(1), tags: ['a', 'b'], reason: 'deleted: not kept by any rule' }]);
  });
});

describe('planRetention multi-arch indexes', () => {
  const amd64 = digestOf(10);
  const arm64 = digestOf(11);
  const shared = digestOf(12);
  const oldIndex = digestOf(20);
  const newIndex = digestOf(21);
  const repo: RepositorySnapshot = {
    name: 'app',
    tags: { v1: oldIndex, v2: newIndex },
    manifests: {
      [amd64]: image(daysAgo(100)),
      [arm64]: image(daysAgo(100)),
      [shared]: image(daysAgo(5)),
      [oldIndex]: index([amd64, arm64, shared]),
      [newIndex]: index([shared]),
      [digestOf(99)]: image(daysAgo(300)),
    },
  };

  it('dates an index by its newest child, deletes an unkept index with its untagged children, keeps children a kept index references, leaves orphans to GC', () => {
    const plan = planRetention(policy({ keep: [{ tags: ['v2'] }] }), registry(repo), options);
    expect(plan.repositories[0]?.delete).toEqual([
      { digest: amd64, tags: [], reason: `deleted: child of deleted index ${oldIndex}` },
      { digest: arm64, tags: [], reason: `deleted: child of deleted index ${oldIndex}` },
      { digest: oldIndex, tags: ['v1'], reason: 'deleted: not kept by any rule' },
    ]);
    const byAge = planRetention(policy({ keep: [{ newerThan: '10d' }] }), registry(repo), options);
    expect(Object.keys(keptTags(byAge))).toEqual(['v1', 'v2']);
  });

  it('keeps a tagged child of a kept index even when no rule keeps its tag', () => {
    const tagged = { ...repo, tags: { ...repo.tags, 'v1-amd64': amd64 } };
    const plan = planRetention(policy({ keep: [{ tags: ['v1'] }] }), registry(tagged), options);
    expect(keptTags(plan)['v1-amd64']).toBe(`kept: referenced by kept index ${oldIndex}`);
  });
});

describe('planRetention signatures and attestations', () => {
  const kept = digestOf(1);
  const dropped = digestOf(2);
  const repo: RepositorySnapshot = {
    name: 'app',
    tags: {
      v2: kept,
      v1: dropped,
      [signatureTag(kept)]: digestOf(31),
      [signatureTag(dropped)]: digestOf(32),
      [signatureTag(dropped, 'att')]: digestOf(33),
      [signatureTag(digestOf(77), 'sbom')]: digestOf(34),
    },
    manifests: {
      [kept]: image(daysAgo(1)),
      [dropped]: image(daysAgo(2)),
      [digestOf(31)]: image(null),
      [digestOf(32)]: image(null),
      [digestOf(33)]: image(null),
      [digestOf(34)]: image(null),
    },
  };

  it('follow their subject, never count toward mostRecent, and leave orphans untouched', () => {
    const plan = planRetention(policy({ keep: [{ mostRecent: 1 }] }), registry(repo), options);
    expect(keptTags(plan)).toEqual({
      v2: 'kept by rule 1: among 1 most recent * tags',
      [signatureTag(kept)]: `kept: follows its subject ${kept}, which is kept`,
      [signatureTag(digestOf(77), 'sbom')]: 'subject not found: left untouched',
    });
    expect(plan.repositories[0]?.delete.map((d) => [d.digest, d.reason])).toEqual([
      [dropped, 'deleted: not kept by any rule'],
      [digestOf(32), `deleted: follows its deleted subject ${dropped}`],
      [digestOf(33), `deleted: follows its deleted subject ${dropped}`],
    ]);
  });
});

describe('planRetention edge cases', () => {
  it('keeps an untagged child that a surviving untagged index still references', () => {
    const child = digestOf(1);
    const repo: RepositorySnapshot = {
      name: 'app',
      tags: { old: digestOf(2) },
      manifests: { [child]: image(daysAgo(90)), [digestOf(2)]: index([child]), [digestOf(3)]: index([child]) },
    };
    const plan = planRetention(policy({ keep: [{ tags: ['none'] }] }), registry(repo), options);
    expect(plan.repositories[0]?.delete.map((d) => d.digest)).toEqual([digestOf(2)]);
  });

  it('dates an index with a missing child as new', () => {
    const repo: RepositorySnapshot = {
      name: 'app',
      tags: { idx: digestOf(2), old: digestOf(3) },
      manifests: { [digestOf(2)]: index([digestOf(1)]), [digestOf(3)]: image(daysAgo(90)) },
    };
    const plan = planRetention(policy({ keep: [{ newerThan: '1d' }] }), registry(repo), options);
    expect(keptTags(plan).idx).toContain('treated as new');
    expect(deletedTags(plan)).toEqual(['old']);
  });

  it('keeps a signature whose digest a kept tag shares, even when its subject is deleted', () => {
    const subject = digestOf(1);
    const repo: RepositorySnapshot = {
      name: 'app',
      tags: { v1: subject, [signatureTag(subject)]: digestOf(2), keepme: digestOf(2) },
      manifests: { [subject]: image(daysAgo(90)), [digestOf(2)]: image(null) },
    };
    const plan = planRetention(policy({ keep: [{ tags: ['keepme'] }] }), registry(repo), options);
    expect(keptTags(plan)[signatureTag(subject)]).toBe('kept: shares digest with kept tag keepme');
    expect(deletedTags(plan)).toEqual(['v1']);
  });

  it('protects signature tags that match protectedTags', () => {
    const subject = digestOf(1);
    const repo: RepositorySnapshot = {
      name: 'app',
      tags: { v1: subject, [signatureTag(subject)]: digestOf(2) },
      manifests: { [subject]: image(daysAgo(90)), [digestOf(2)]: image(null) },
    };
    const plan = planRetention(policy({ protectedTags: ['*.sig'], keep: [{ tags: ['none'] }] }), registry(repo), options);
    expect(keptTags(plan)[signatureTag(subject)]).toBe('protected tag');
  });
});
