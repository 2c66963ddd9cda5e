/**
 * Cron schedules and IANA time zones. zod checks a schedule with croner, the library the
 * controllers schedule with, so whatever passes validation can be scheduled. CEL cannot parse
 * cron, so the CRD only checks the shape (5 or 6 fields, or an @-nickname) with a pattern.
 */
import { Cron } from 'croner';
import * as z from 'zod';

/**
 * The shape the CRD enforces: an @-nickname, or 5 fields (minute hour day-of-month month
 * day-of-week) or 6 (with leading seconds), made of the characters cron fields use.
 */
export const CRON_SHAPE_PATTERN =
  /^(@(yearly|annually|monthly|weekly|daily|hourly)|[0-9A-Za-z*?/,#L-]+( [0-9A-Za-z*?/,#L-]+){4,5})$/;

/** croner's mode: refuse the 7-field (year) form it would otherwise accept, as the CRD does. */
const CRONER_MODE = '5-or-6-parts';

/** Why a cron expression is invalid, or undefined when croner accepts it. */
export function cronProblem(expression: string): string | undefined {
  if (!CRON_SHAPE_PATTERN.test(expression)) {
    return 'must be a cron expression with 5 fields ("0 2 * * *") or 6 with leading seconds, single spaces between fields, or @daily/@hourly/@weekly/@monthly/@yearly';
  }
  try {
    new Cron(expression, { paused: true, mode: CRONER_MODE }).stop();
    return undefined;
  } catch (error) {
    return `invalid cron expression: ${(error as Error).message.replace(/^CronPattern: /, '')}`;
  }
}

/** True when `timeZone` is an IANA zone name this runtime knows (e.g. Europe/Paris, UTC). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first tick of `schedule` strictly after `after`, in `timeZone`; undefined when the schedule
 * never fires again. Shared by the RetentionPolicy and garbage-collection controllers.
 */
export function nextScheduledRun(schedule: string, timeZone: string, after: Date): Date | undefined {
  const cron = new Cron(schedule, { paused: true, timezone: timeZone, mode: CRONER_MODE });
  try {
    return cron.nextRun(after) ?? undefined;
  } finally {
    cron.stop();
  }
}

export function cronScheduleSchema(description: string) {
  return z
    .string()
    .max(128)
    .superRefine((expression, ctx) => {
      const problem = cronProblem(expression);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta({ description, pattern: CRON_SHAPE_PATTERN.source });
}

/** IANA names are letters, digits and `/_+-`; the CRD can check only that, zod checks the zone exists. */
export const TIME_ZONE_PATTERN = /^[A-Za-z][A-Za-z0-9_+/-]*$/;

export function timeZoneSchema(description: string) {
  return z
    .string()
    .max(64)
    .regex(TIME_ZONE_PATTERN, 'must be an IANA time zone name such as UTC or Europe/Paris')
    .refine(isKnownTimeZone, 'unknown time zone: use an IANA name such as UTC or Europe/Paris')
    .default('UTC')
    .meta({ description });
}
