/**
 * fast-check generators for the executor's property tests: a repository (images, indexes,
 * shared digests, signatures), and the same repository changed by pushes during a run.
 */
import fc from 'fast-check';
import type { RepositoryRecheck } from '../../../src/retention/delete-recheck.js';
import type { ManifestSnapshot, RepositorySnapshot } from '../../../src/retention/snapshot.js';
import { daysAgo, digestOf, image, index, signatureTag } from './fixtures.js';

const TAG_POOL = ['v1', 'v2', 'v3', 'v4', 'v5', 'latest', 'a', 'b'];
/** Digest numbers: 100+ images and indexes, 200+ signatures, 300+ pushed during the run, 400 a new index, 500 a new signature. */
const NEW_IMAGE = 300;

export const repositoryArb: fc.Arbitrary<RepositorySnapshot> = fc
  .array(fc.record({ age: fc.integer({ min: 0, max: 60 }), isIndex: fc.boolean(), children: fc.uniqueArray(fc.nat(7), { maxLength: 3 }) }), {
    minLength: 1,
    maxLength: 8,
  })
  .chain((specs) => {
    const manifests: Record<string, ManifestSnapshot> = {};
    specs.forEach((s, i) => {
      const children = s.children.filter((c) => c < i).map((c) => digestOf(100 + c));
      manifests[digestOf(100 + i)] = s.isIndex && children.length > 0 ? index(children) : image(daysAgo(s.age));
    });
    const target = fc.nat(specs.length - 1).map((i) => digestOf(100 + i));
    return fc
      .record({
        tags: fc.dictionary(fc.constantFrom(...TAG_POOL), target, { maxKeys: 8 }),
        signed: fc.uniqueArray(fc.nat(specs.length - 1), { maxLength: 3 }),
      })
      .map(({ tags, signed }) => {
        const allTags: Record<string, string> = { ...tags };
        for (const i of signed) {
          allTags[signatureTag(digestOf(100 + i))] = digestOf(200 + i);
          manifests[digestOf(200 + i)] = image(null);
        }
        return { name: 'app', tags: allTags, manifests: { ...manifests } };
      });
  });

type TagChange = { kind: 'same' } | { kind: 'gone' } | { kind: 'move'; to: number } | { kind: 'new-image' };

/** The repository as planned (`before`) and as re-checked after random pushes, re-tags and deletes. */
export const mutatedRepositoryArb: fc.Arbitrary<{ before: RepositorySnapshot; recheck: RepositoryRecheck; currentManifests: Record<string, ManifestSnapshot> }> =
  repositoryArb.chain((before) => {
    const existing = Object.keys(before.manifests);
    const change: fc.Arbitrary<TagChange> = fc.oneof(
      { weight: 6, arbitrary: fc.constant<TagChange>({ kind: 'same' }) },
      { weight: 1, arbitrary: fc.constant<TagChange>({ kind: 'gone' }) },
      { weight: 2, arbitrary: fc.nat(existing.length - 1).map((to): TagChange => ({ kind: 'move', to })) },
      { weight: 1, arbitrary: fc.constant<TagChange>({ kind: 'new-image' }) },
    );
    const names = [...new Set([...Object.keys(before.tags), ...TAG_POOL])];
    return fc
      .record({
        changes: fc.array(change, { minLength: names.length, maxLength: names.length }),
        newIndexChildren: fc.option(fc.uniqueArray(fc.constantFrom(...existing), { minLength: 1, maxLength: 3 }), { nil: undefined }),
        newSignatureOf: fc.option(fc.constantFrom(...existing), { nil: undefined }),
      })
      .map(({ changes, newIndexChildren, newSignatureOf }) => {
        const tags: Record<string, string> = {};
        const currentManifests: Record<string, ManifestSnapshot> = { ...before.manifests };
        names.forEach((name, i) => {
          const c = changes[i]!;
          const was = before.tags[name];
          if (c.kind === 'same' && was !== undefined) tags[name] = was;
          if (c.kind === 'move') tags[name] = existing[c.to]!;
          if (c.kind === 'new-image') {
            tags[name] = digestOf(NEW_IMAGE + i);
            currentManifests[digestOf(NEW_IMAGE + i)] = image(daysAgo(0));
          }
        });
        const recheck: RepositoryRecheck = { tags, newIndexChildren: {} };
        if (newIndexChildren) {
          tags['new-multi'] = digestOf(400);
          currentManifests[digestOf(400)] = index(newIndexChildren);
          recheck.newIndexChildren[digestOf(400)] = newIndexChildren;
        }
        if (newSignatureOf) {
          tags[signatureTag(newSignatureOf, 'att')] = digestOf(500);
          currentManifests[digestOf(500)] = image(null);
        }
        return { before, recheck, currentManifests };
      });
  });
