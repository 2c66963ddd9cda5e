/**
 * Durations as Go writes them (`720h`, `1h30m`, `90s`, `1.5h`, `250ms`), which is what
 * Kubernetes users know from every other controller, plus a day unit (`30d`) because retention
 * periods are thought of in days. Negative durations are refused: no field here means "in the past".
 */
import * as z from 'zod';
import { DockmasterError } from '../errors.js';

const MS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign, as Go accepts
  'μs': 1e-3, // U+03BC Greek mu, as Go accepts
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * The same grammar as a regular expression, for the CRD's `pattern` (the apiserver checks it with
 * Go's RE2, which has no lookahead, hence the plain form). A lone `0` is a duration in Go too.
 */
export const DURATION_PATTERN = /^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|μs|ms|s|m|h|d))+)$/;

const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|μs|ms|s|m|h|d)/g;

export class DurationParseError extends DockmasterError {
  constructor(text: string) {
    super(
      'DM_ERR_INVALID_DURATION',
      `Invalid duration ${JSON.stringify(text)}: write a number and a unit, e.g. 720h, 1h30m, 90s or 30d (units: ns, us, ms, s, m, h, d)`,
    );
  }
}

/** Milliseconds in a duration string, or undefined when it is not one. */
export function tryParseDurationMs(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  if (text === '0') return 0;
  let total = 0;
  for (const match of text.matchAll(DURATION_PART)) {
    total += Number(match[1]) * (MS_PER_UNIT[match[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

/** Milliseconds in a duration string such as `720h` or `30d`; throws DurationParseError otherwise. */
export function parseDurationMs(text: string): number {
  const ms = tryParseDurationMs(text);
  if (ms === undefined) throw new DurationParseError(text);
  return ms;
}

const DURATION_MESSAGE = 'must be a duration such as 720h, 1h30m, 90s or 30d (units: ns, us, ms, s, m, h, d)';

/** A duration field; the output stays the string users wrote (parse it with parseDurationMs). */
export function durationSchema(description: string) {
  return z.string().max(64).regex(DURATION_PATTERN, DURATION_MESSAGE).meta({ description });
}

/**
 * A duration that must be longer than zero. The CRD can check this without parsing: a duration
 * is above zero exactly when it has a non-zero digit, which CEL's `matches` can test.
 */
export function positiveDurationSchema(description: string) {
  return durationSchema(description)
    .refine((text) => (tryParseDurationMs(text) ?? 0) > 0, 'must be longer than zero')
    .meta({
      description,
      'x-kubernetes-validations': [{ rule: "self.matches('[1-9]')", message: 'must be longer than zero' }],
    });
}
