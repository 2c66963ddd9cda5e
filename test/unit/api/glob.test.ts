import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createGlobMatcher,
  createScopeMatcher,
  globProblem,
  InvalidGlobError,
  REPOSITORY_GLOB_PATTERN,
  TAG_GLOB_PATTERN,
} from '../../../src/api/glob.js';

describe('repository globs', () => {
  const cases: Array<[string, string, boolean]> = [
    ['app/**', 'app/web', true],
    ['app/**', 'app/web/api', true],
    ['app/**', 'app', true], // x/** covers x itself: excluding app/legacy/** must exclude app/legacy
    ['app/**', 'application/web', false],
    ['app/*', 'app/web', true],
    ['app/*', 'app/web/api', false],
    ['*', 'app', true],
    ['*', 'app/web', false],
    ['**', 'a/b/c', true],
    ['ci/*/cache', 'ci/x/cache', true],
    ['ci/*/cache', 'ci/x/y/cache', false],
    ['a/**/c', 'a/c', true],
    ['a/**/c', 'a/b/b/c', true],
    ['lib?', 'lib1', true],
    ['lib?', 'lib12', false],
    ['v1.*', 'v1x2', false],
  ];
  it.each(cases)('%s on %s → %s', (glob, value, expected) => {
    expect(createGlobMatcher([glob], 'repository')(value)).toBe(expected);
  });

  it('scopes are include minus exclude', () => {
    const inScope = createScopeMatcher({ include: ['app/**'], exclude: ['app/legacy/**'] }, 'repository');
    expect(inScope('app/web')).toBe(true);
    expect(inScope('app/legacy')).toBe(false);
    expect(inScope('app/legacy/api')).toBe(false);
    expect(inScope('tools/x')).toBe(false);
  });

  it.each([
    ['App/web', /lowercase/],
    ['app**', /whole path segment/],
    ['app/***', /whole path segment/],
    ['app//web', /empty path segments/],
    ['/app', /empty path segments/],
    ['app/{a,b}', /may contain only/],
    ['!app', /may contain only/],
    ['app/[ab]', /may contain only/],
    ['', /empty/],
  ])('refuses %j', (glob, message) => {
    expect(globProblem(glob, 'repository')).toMatch(message);
    expect(() => createGlobMatcher([glob], 'repository')).toThrow(InvalidGlobError);
  });
});

describe('tag globs', () => {
  it.each<[string, string, boolean]>([
    ['v*', 'v1.2.3', true],
    ['v*', 'release-1', false],
    ['*', 'sha256-abc.sig', true],
    ['release-*', 'release-2024.01', true],
    ['Latest', 'latest', false], // tags are case-sensitive
    ['pr-*-wip', 'pr-12-wip', true],
  ])('%s on %s → %s', (glob, value, expected) => {
    expect(createGlobMatcher([glob], 'tag')(value)).toBe(expected);
  });

  it('an empty list matches nothing', () => {
    expect(createGlobMatcher([], 'tag')('v1')).toBe(false);
  });

  it.each([['v1/x', /contain no "\/"/], ['**', /use "\*"/], ['!v*', /may contain only/], ['v{1,2}', /may contain only/]])('refuses %j', (glob, message) => {
    expect(globProblem(glob, 'tag')).toMatch(message);
  });
});

describe('the CRD pattern and zod agree', () => {
  // The apiserver only has the pattern; zod has globProblem. They must accept the same globs.
  const repoChars = fc.constantFrom('a', 'b', '0', '.', '_', '-', '*', '?', '/', 'A', '{', '!');
  const tagChars = fc.constantFrom('a', 'B', '0', '.', '_', '-', '*', '?', '/', '[', '!');

  it('for repository globs', () => {
    fc.assert(
      fc.property(fc.array(repoChars, { minLength: 1, maxLength: 12 }).map((cs) => cs.join('')), (glob) => {
        expect(globProblem(glob, 'repository') === undefined).toBe(REPOSITORY_GLOB_PATTERN.test(glob));
      }),
      { numRuns: 3000 },
    );
  });

  it('for tag globs', () => {
    fc.assert(
      fc.property(fc.array(tagChars, { minLength: 1, maxLength: 12 }).map((cs) => cs.join('')), (glob) => {
        expect(globProblem(glob, 'tag') === undefined).toBe(TAG_GLOB_PATTERN.test(glob));
      }),
      { numRuns: 3000 },
    );
  });
});
