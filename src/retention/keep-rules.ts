/**
 * Which tags the policy keeps by its own words (protected tags and keep rules), before the
 * safety rules of the planner (shared digests, index children, signatures) keep more.
 */
import semver from 'semver';
import { parseDurationMs } from '../api/duration.js';
import { createGlobMatcher, createScopeMatcher } from '../api/glob.js';
import type { RetentionKeepRule, RetentionPolicySpec } from '../api/retention-policy.js';
import type { ImageAge } from './image-age.js';

export const TREATED_AS_NEW_NOTE = 'created time missing or invalid: treated as new';

export interface RuleCandidate {
  tag: string;
  age: ImageAge;
  /** When its manifest was last pulled, per the pull records; undefined: not pulled since tracking began. */
  lastPullMs?: number;
}

/** What the pull records of a registry say about themselves; absent: there are none (tracking off, external registry). */
export interface PullCoverage {
  /** Since when tracking has run without a gap that could have lost pulls. */
  coveredSinceMs: number;
}

/** Most recently pulled first; never pulled below every pulled one; ties as mostRecent breaks them. */
function compareMostRecentlyPulled(a: RuleCandidate, b: RuleCandidate): number {
  const pa = a.lastPullMs ?? -Infinity;
  const pb = b.lastPullMs ?? -Infinity;
  if (pa !== pb) return pa > pb ? -1 : 1;
  return compareNewestFirst(a, b);
}

function compareNewestFirst(a: RuleCandidate, b: RuleCandidate): number {
  if (a.age.createdMs !== b.age.createdMs) return a.age.createdMs > b.age.createdMs ? -1 : 1;
  return a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0;
}

function withAgeNote(reason: string, age: ImageAge): string {
  return age.treatedAsNew ? `${reason} (${TREATED_AS_NEW_NOTE})` : reason;
}

/** Keeps the `count` highest versions in each group; ties (v1.2.3 and 1.2.3) by tag name. */
function keepLatestSemver(
  candidates: readonly RuleCandidate[],
  count: number,
  groupOf: (version: semver.SemVer) => string,
  describe: (group: string) => string,
  reasons: Map<string, string>,
): void {
  const groups = new Map<string, Array<{ tag: string; version: semver.SemVer }>>();
  for (const { tag } of candidates) {
    const version = semver.parse(tag);
    if (version === null) continue;
    const key = groupOf(version);
    groups.set(key, [...(groups.get(key) ?? []), { tag, version }]);
  }
  for (const [key, members] of groups) {
    members.sort((a, b) => semver.rcompare(a.version, b.version) || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
    for (const member of members.slice(0, count)) {
      if (!reasons.has(member.tag)) reasons.set(member.tag, describe(key));
    }
  }
}

/** Tag → reason for every candidate this rule keeps (first criterion that keeps it names the reason). */
export function evaluateKeepRule(
  rule: RetentionKeepRule,
  ruleNumber: number,
  candidates: readonly RuleCandidate[],
  nowMs: number,
  pulls?: PullCoverage,
): Map<string, string> {
  const selects = createScopeMatcher({ include: rule.tags, exclude: rule.excludeTags }, 'tag');
  const selected = candidates.filter((c) => selects(c.tag));
  const prefix = `kept by rule ${ruleNumber}`;
  const globs = rule.tags.join(',');
  const reasons = new Map<string, string>();
  const hasCriterion =
    rule.mostRecent !== undefined || rule.newerThan !== undefined || rule.semver !== undefined || rule.pulledWithin !== undefined || rule.mostRecentlyPulled !== undefined;
  if (!hasCriterion) {
    for (const c of selected) reasons.set(c.tag, `${prefix}: selects every ${globs} tag`);
    return reasons;
  }
  if (rule.mostRecent !== undefined) {
    const ranked = [...selected].sort(compareNewestFirst).slice(0, rule.mostRecent);
    for (const c of ranked) reasons.set(c.tag, withAgeNote(`${prefix}: among ${rule.mostRecent} most recent ${globs} tags`, c.age));
  }
  if (rule.newerThan !== undefined) {
    const cutoffMs = nowMs - parseDurationMs(rule.newerThan);
    for (const c of selected) {
      if (c.age.createdMs >= cutoffMs && !reasons.has(c.tag)) {
        reasons.set(c.tag, withAgeNote(`${prefix}: created within ${rule.newerThan}`, c.age));
      }
    }
  }
  if (rule.pulledWithin !== undefined) keepPulledWithin(rule.pulledWithin, prefix, selected, nowMs, pulls, reasons);
  if (rule.mostRecentlyPulled !== undefined) {
    const count = rule.mostRecentlyPulled;
    const kept = pulls === undefined ? selected : [...selected].sort(compareMostRecentlyPulled).slice(0, count);
    const reason = pulls === undefined ? `${prefix}: no pull records for this registry, so mostRecentlyPulled keeps every ${globs} tag` : `${prefix}: among ${count} most recently pulled ${globs} tags`;
    for (const c of kept) if (!reasons.has(c.tag)) reasons.set(c.tag, reason);
  }
  const perMinor = rule.semver?.latestPerMinor;
  if (perMinor !== undefined) {
    keepLatestSemver(selected, perMinor, (v) => `${v.major}.${v.minor}`, (g) => `${prefix}: among ${perMinor} latest of semver ${g}.x`, reasons);
  }
  const perMajor = rule.semver?.latestPerMajor;
  if (perMajor !== undefined) {
    keepLatestSemver(selected, perMajor, (v) => `${v.major}`, (g) => `${prefix}: among ${perMajor} latest of semver ${g}.x.x`, reasons);
  }
  return reasons;
}

/**
 * pulledWithin D: "not pulled within D" is only believed when the records cover all of D; until
 * then, and without records, every selected tag is kept (erring on keeping).
 */
function keepPulledWithin(within: string, prefix: string, selected: readonly RuleCandidate[], nowMs: number, pulls: PullCoverage | undefined, reasons: Map<string, string>): void {
  const cutoffMs = nowMs - parseDurationMs(within);
  let blanket: string | undefined;
  if (pulls === undefined) blanket = `${prefix}: no pull records for this registry, so pulledWithin ${within} keeps every selected tag`;
  else if (pulls.coveredSinceMs > cutoffMs) blanket = `${prefix}: pull tracking runs only since ${new Date(pulls.coveredSinceMs).toISOString()}, less than pulledWithin ${within}`;
  for (const c of selected) {
    if (reasons.has(c.tag)) continue;
    if (blanket !== undefined) reasons.set(c.tag, blanket);
    else if (c.lastPullMs !== undefined && c.lastPullMs >= cutoffMs) reasons.set(c.tag, `${prefix}: pulled within ${within}`);
  }
}

/**
 * Tag → reason for the tags the policy itself keeps: protected tags (any tag, signatures
 * included) and the rule candidates any keep rule keeps.
 */
export function tagsKeptByPolicy(
  spec: RetentionPolicySpec,
  allTags: readonly string[],
  ruleCandidates: readonly RuleCandidate[],
  nowMs: number,
  pulls?: PullCoverage,
): Map<string, string> {
  const isProtected = createGlobMatcher(spec.protectedTags, 'tag');
  const reasons = new Map<string, string>();
  for (const tag of allTags) if (isProtected(tag)) reasons.set(tag, 'protected tag');
  spec.keep.forEach((rule, index) => {
    for (const [tag, reason] of evaluateKeepRule(rule, index + 1, ruleCandidates, nowMs, pulls)) {
      if (!reasons.has(tag)) reasons.set(tag, reason);
    }
  });
  return reasons;
}
