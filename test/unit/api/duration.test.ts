import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, DurationParseError, parseDurationMs, tryParseDurationMs } from '../../../src/api/duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['720h', 720 * 3_600_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['30d', 30 * 86_400_000],
    ['1d12h', 36 * 3_600_000],
    ['0', 0],
    ['0s', 0],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '3 days', '-1h', '+1h', '1', 'h', '1w', '1.h', '.5h', '1H', '1h 30m', '1y'])('refuses %j', (text) => {
    expect(tryParseDurationMs(text)).toBeUndefined();
    expect(() => parseDurationMs(text)).toThrow(DurationParseError);
  });

  it('names the accepted units in the error', () => {
    expect(() => parseDurationMs('2w')).toThrow(/720h, 1h30m, 90s or 30d/);
  });

  it('has a pattern that agrees with the parser', () => {
    for (const text of ['720h', '1h30m', '30d', '0', '2w', '-1h', '1.5h']) {
      expect(DURATION_PATTERN.test(text)).toBe(tryParseDurationMs(text) !== undefined);
    }
  });
});
