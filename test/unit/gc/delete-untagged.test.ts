import { describe, expect, it } from 'vitest';
import { decideDeleteUntagged } from '../../../src/gc/delete-untagged.js';
import { distributionMajorVersion } from '../../../src/managed-registry/image-advisory.js';

describe('distributionMajorVersion', () => {
  it.each([
    ['registry:2.8.3', 2],
    ['registry:2', 2],
    ['docker.io/library/registry:2.8', 2],
    ['localhost:5000/mirror/registry:3.0.0', 3],
    ['ghcr.io/distribution/distribution:v3.0.0-rc.1', 3],
    ['registry:3.0.0@sha256:' + 'a'.repeat(64), 3],
    ['registry', undefined],
    ['registry:latest', undefined],
    ['ghcr.io/distribution/distribution:edge', undefined],
    ['localhost:5000/registry', undefined],
    ['registry@sha256:' + 'a'.repeat(64), undefined],
  ])('%s → %s', (image, major) => {
    expect(distributionMajorVersion(image)).toBe(major);
  });
});

describe('decideDeleteUntagged', () => {
  it('is off when not asked for', () => {
    expect(decideDeleteUntagged(false, 'registry:3.0.0')).toEqual({ deleteUntagged: false });
  });
  it('is allowed on distribution 3', () => {
    expect(decideDeleteUntagged(true, 'registry:3.0.0')).toEqual({ deleteUntagged: true });
  });
  it('is refused on 2.x, saying why', () => {
    const decision = decideDeleteUntagged(true, 'registry:2.8.3');
    expect(decision.deleteUntagged).toBe(false);
    expect(decision.refusal).toMatch(/distribution 2\.x.*untagged per-platform manifests of tagged multi-arch indexes/);
  });
  it('goes to the Job when the tag cannot tell (latest, digest-only): the Job asks the binary', () => {
    expect(decideDeleteUntagged(true, 'registry:latest')).toEqual({ deleteUntagged: true });
    expect(decideDeleteUntagged(true, `registry@sha256:${'a'.repeat(64)}`)).toEqual({ deleteUntagged: true });
  });
});
