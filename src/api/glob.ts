/**
 * Globs over repository paths and tags, as RetentionPolicy scopes and keep rules use them.
 * The grammar is deliberately small so the apiserver (a RE2 `pattern`) and zod agree on it, and
 * so a glob can never mean more than it seems to:
 *   - `*` matches any characters within one path segment (never a `/`), `?` exactly one;
 *   - `**` (repositories only) is a whole segment and matches any number of segments, so
 *     `app/**` matches `app/web` and `app/web/api`, and also `app` itself: excluding
 *     `app/legacy/**` must never leave the repository `app/legacy` in scope;
 *   - no braces, brackets, negation or extglobs: exclusions are separate lists.
 */
import picomatch from 'picomatch';
import * as z from 'zod';
import { DockmasterError } from '../errors.js';

export type GlobKind = 'repository' | 'tag';

// Characters of a repository path (distribution's grammar: lowercase, digits, `._-`) and of a
// tag (`[A-Za-z0-9_.-]`), plus the glob characters `*` and `?`.
const REPO_CHAR = '[a-z0-9._?-]';
const TAG_CHAR = '[A-Za-z0-9_.?-]';

/** One segment: `**`, or characters where `*` never appears twice in a row. */
function segmentPattern(char: string): string {
  return `(\\*|${`\\*?(${char}+\\*)*${char}+`}|${`\\*?(${char}+\\*)+`})`;
}

/** What the CRD checks for each repository glob (RE2-compatible: no lookahead). */
export const REPOSITORY_GLOB_PATTERN = new RegExp(
  `^(\\*\\*|${segmentPattern(REPO_CHAR)})(/(\\*\\*|${segmentPattern(REPO_CHAR)}))*$`,
);
/** What the CRD checks for each tag glob. */
export const TAG_GLOB_PATTERN = new RegExp(`^${segmentPattern(TAG_CHAR)}$`);

const MAX_GLOB_LENGTH = 255;

/** Why `glob` is not a valid glob of this kind, or undefined when it is. */
export function globProblem(glob: string, kind: GlobKind): string | undefined {
  if (glob.length === 0) return 'must not be empty';
  if (glob.length > MAX_GLOB_LENGTH) return `must be at most ${MAX_GLOB_LENGTH} characters`;
  if (kind === 'tag') {
    if (glob.includes('/')) return 'tags contain no "/": a tag glob is one segment such as "v*"';
    if (glob.includes('**')) return 'tags have no path segments: use "*" rather than "**"';
    if (!TAG_GLOB_PATTERN.test(glob)) return 'may contain only letters, digits, "_", ".", "-" and the wildcards "*" and "?"';
    return undefined;
  }
  if (/[A-Z]/.test(glob)) return 'repository paths are lowercase';
  const segments = glob.split('/');
  if (segments.some((s) => s === '')) return 'must not have empty path segments ("//", or a leading or trailing "/")';
  if (segments.some((s) => s.includes('**') && s !== '**')) return '"**" must be a whole path segment, e.g. "app/**"';
  if (!REPOSITORY_GLOB_PATTERN.test(glob)) {
    return 'may contain only lowercase letters, digits, "_", ".", "-", "/" and the wildcards "*", "?" and "**"';
  }
  return undefined;
}

export class InvalidGlobError extends DockmasterError {
  constructor(glob: string, kind: GlobKind, problem: string) {
    super('DM_ERR_INVALID_GLOB', `Invalid ${kind} glob ${JSON.stringify(glob)}: ${problem}`);
  }
}

const PICOMATCH_OPTIONS = {
  dot: true,
  nobrace: true,
  noextglob: true,
  nonegate: true,
  noquantifiers: true,
  strictSlashes: true,
} as const;

/** A predicate true when `value` matches any of `globs` (false for an empty list). */
export function createGlobMatcher(globs: readonly string[], kind: GlobKind): (value: string) => boolean {
  const matchers: Array<(value: string) => boolean> = [];
  for (const glob of globs) {
    const problem = globProblem(glob, kind);
    if (problem) throw new InvalidGlobError(glob, kind, problem);
    matchers.push(picomatch(glob, PICOMATCH_OPTIONS));
    // `x/**` covers `x` itself too (see the module comment).
    if (kind === 'repository' && glob.endsWith('/**')) matchers.push(picomatch(glob.slice(0, -3), PICOMATCH_OPTIONS));
  }
  return (value) => matchers.some((matches) => matches(value));
}

/** A predicate for a scope: in `include` (any glob) and not in `exclude` (any glob). */
export function createScopeMatcher(
  scope: { include: readonly string[]; exclude?: readonly string[] },
  kind: GlobKind,
): (value: string) => boolean {
  const included = createGlobMatcher(scope.include, kind);
  const excluded = createGlobMatcher(scope.exclude ?? [], kind);
  return (value) => included(value) && !excluded(value);
}

/** A list of globs for a CRD field: zod gives the precise problem, the CRD the same grammar as a pattern. */
export function globListSchema(kind: GlobKind, description: string) {
  const item = z
    .string()
    .superRefine((glob, ctx) => {
      const problem = globProblem(glob, kind);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta({
      pattern: (kind === 'tag' ? TAG_GLOB_PATTERN : REPOSITORY_GLOB_PATTERN).source,
      maxLength: MAX_GLOB_LENGTH,
      minLength: 1,
    });
  return z.array(item).max(100).meta({ description });
}
