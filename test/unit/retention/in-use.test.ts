import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeUsers, usageForRegistry, type ImageInUse } from '../../../src/retention/in-use.js';
import { planRetention } from '../../../src/retention/planner.js';
import type { RepositorySnapshot } from '../../../src/retention/snapshot.js';
import { daysAgo, digestOf, image, index, NOW, policy, registry } from './fixtures.js';

const HOST = 'main.registries.svc:5000';
const use = (image: string, namespace = 'registries', kind = 'Deployment', name = 'web'): ImageInUse => ({ image, usedBy: { namespace, kind, name } });
const options = (images: ImageInUse[], canUntag = false) => ({ now: NOW, policyName: 'registries/p', policyNamespace: 'registries', inUse: usageForRegistry(images, [HOST]), canUntag });

function repo(): RepositorySnapshot {
  const child = digestOf(10);
  return {
    name: 'app',
    tags: { v1: digestOf(1), v2: digestOf(2), v3: digestOf(3), old: digestOf(20), alias: digestOf(1) },
    manifests: { [digestOf(1)]: image(daysAgo(30)), [digestOf(2)]: image(daysAgo(20)), [digestOf(3)]: image(daysAgo(10)), [child]: image(daysAgo(40)), [digestOf(20)]: index([child]) },
  };
}
const keep = (plan: ReturnType<typeof planRetention>) => Object.fromEntries(plan.repositories[0]!.keep.map((k) => [k.tag, k.reason]));
const spec = policy({ keep: [{ mostRecent: 1 }] });

describe('usageForRegistry', () => {
  it('keeps only this registry\'s references, by tag (latest when none) or digest, skipping what does not parse', () => {
    const usage = usageForRegistry([use(`${HOST}/app:v1`), use(`${HOST}/app`), use(`${HOST}/app@${digestOf(5)}`), use('docker.io/library/app:v1'), use('::bad::'), use(`MAIN.registries.svc:5000/app:v2`)], [HOST]);
    expect([...usage.keys()]).toEqual(['app']);
    expect([...usage.get('app')!.tags.keys()].sort()).toEqual(['latest', 'v1', 'v2']);
    expect([...usage.get('app')!.digests.keys()]).toEqual([digestOf(5)]);
  });
});

describe('describeUsers', () => {
  it('names users in the policy\'s namespace, and only says "another namespace" otherwise', () => {
    expect(describeUsers([{ namespace: 'shop', kind: 'Deployment', name: 'web' }], 'shop')).toBe('in use by Deployment shop/web');
    expect(describeUsers([{ namespace: 'bank', kind: 'Pod', name: 'secret-thing' }], 'shop')).toBe('in use in another namespace');
    expect(describeUsers([{ namespace: 'shop', kind: 'Pod', name: 'b' }, { namespace: 'shop', kind: 'CronJob', name: 'a' }], 'shop')).toBe('in use by CronJob shop/a and 1 more');
  });
});

describe('planRetention with in-use data', () => {
  it('keeps a tag in use, naming its user in the policy\'s namespace', () => {
    const plan = planRetention(spec, registry(repo()), options([use(`${HOST}/app:v1`)]));
    expect(keep(plan).v1).toBe('kept: in use by Deployment registries/web');
    expect(plan.repositories[0]!.delete.flatMap((d) => d.tags)).not.toContain('v1');
  });

  it('keeps every tag on a digest in use, and never untags them; another namespace stays anonymous', () => {
    const plan = planRetention(spec, registry(repo()), options([use(`${HOST}/app@${digestOf(1)}`, 'bank')], true));
    expect(keep(plan)).toMatchObject({ v1: 'kept: in use in another namespace', alias: 'kept: in use in another namespace' });
    expect(plan.repositories[0]!.untag).toEqual([]);
  });

  it('keeps an index (and its tag) that holds a child in use: the child is what runs', () => {
    const plan = planRetention(spec, registry(repo()), options([use(`${HOST}/app@${digestOf(10)}`, 'registries', 'Pod', 'p')]));
    expect(keep(plan).old).toBe(`kept: holds ${digestOf(10)}, in use by Pod registries/p`);
    expect(plan.repositories[0]!.delete.map((d) => d.digest)).not.toContain(digestOf(10));
  });

  it('without in-use data deletes what the rules let go, and carries the notes', () => {
    const plan = planRetention(spec, registry(repo()), { now: NOW, policyName: 'p', notes: ['in-use protection is off for this run'] });
    expect(plan.repositories[0]!.delete.flatMap((d) => d.tags).sort()).toEqual(['alias', 'old', 'v1', 'v2']);
    expect(plan.notes).toEqual(['in-use protection is off for this run']);
  });

  it('property: no digest in use, nor an index above one, is ever deleted, and no tag in use is deleted or untagged', () => {
    const refArb = fc.oneof(
      fc.constantFrom('v1', 'v2', 'v3', 'old', 'alias', 'nope').map((tag) => `${HOST}/app:${tag}`),
      fc.constantFrom(1, 2, 3, 10, 20, 99).map((n) => `${HOST}/app@${digestOf(n)}`),
    );
    fc.assert(
      fc.property(fc.array(refArb, { maxLength: 4 }), fc.boolean(), fc.integer({ min: 0, max: 3 }), (refs, canUntag, mostRecent) => {
        const snapshot = registry(repo());
        const plan = planRetention(policy({ keep: mostRecent === 0 ? [{ tags: ['none'] }] : [{ mostRecent }] }), snapshot, options(refs.map((r) => use(r)), canUntag));
        const deleted = new Set(plan.repositories[0]!.delete.map((d) => d.digest));
        const untagged = new Set(plan.repositories[0]!.untag.map((u) => u.tag));
        for (const ref of refs) {
          const [, tag] = ref.split(':').slice(-2);
          if (ref.includes('@')) {
            const digest = ref.split('@')[1]!;
            expect(deleted.has(digest)).toBe(false);
            if (digest === digestOf(10)) expect(deleted.has(digestOf(20))).toBe(false);
          } else if (tag && snapshot.repositories[0]!.tags[tag] !== undefined) {
            expect(deleted.has(snapshot.repositories[0]!.tags[tag]!)).toBe(false);
            expect(untagged.has(tag)).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
