import { describe, expect, it } from 'vitest';
import { CRON_SHAPE_PATTERN, cronProblem, isKnownTimeZone, nextScheduledRun } from '../../../src/api/cron.js';

describe('cronProblem', () => {
  it.each(['0 2 * * *', '*/15 * * * *', '0 3 * * 0', '0 2 * * MON-FRI', '30 4 1,15 * *', '*/5 * * * * *', '@daily', '@weekly', '@hourly'])(
    'accepts %j',
    (expression) => {
      expect(cronProblem(expression)).toBeUndefined();
      expect(CRON_SHAPE_PATTERN.test(expression)).toBe(true);
    },
  );

  it.each([
    ['0 2 * *', /5 fields/],
    ['every day', /5 fields/],
    ['0 0 0 1 1 * 2030', /5 fields/],
    ['0  2 * * *', /5 fields/],
    ['@reboot', /5 fields/],
    ['61 * * * *', /minute/],
    ['0 25 * * *', /hour/],
  ])('refuses %j', (expression, message) => {
    expect(cronProblem(expression)).toMatch(message);
  });
});

describe('time zones and next runs', () => {
  it('knows IANA zones and refuses invented ones', () => {
    expect(isKnownTimeZone('UTC')).toBe(true);
    expect(isKnownTimeZone('Europe/Paris')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus_Mons')).toBe(false);
  });

  it('reads the schedule in the time zone', () => {
    const after = new Date('2024-01-15T00:00:00Z');
    expect(nextScheduledRun('0 2 * * *', 'UTC', after)?.toISOString()).toBe('2024-01-15T02:00:00.000Z');
    // Paris is UTC+1 in January.
    expect(nextScheduledRun('0 2 * * *', 'Europe/Paris', after)?.toISOString()).toBe('2024-01-15T01:00:00.000Z');
  });

  it('returns the next tick strictly after the given time', () => {
    const tick = new Date('2024-01-15T02:00:00Z');
    expect(nextScheduledRun('0 2 * * *', 'UTC', tick)?.toISOString()).toBe('2024-01-16T02:00:00.000Z');
  });
});
