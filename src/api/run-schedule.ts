/**
 * When scheduled work runs: a RetentionPolicy's runs and a Registry's garbage-collection windows
 * follow the same contract, decided here once, purely, from the spec, the status and the clock.
 *
 * - Level-based: the next tick counts from the last run's start (or the object's creation), so a
 *   decision never depends on which event woke the controller, and ticks missed while the
 *   operator was down collapse into one run.
 * - `suspend` stops the schedule only; an explicit run-now request is still honoured (like
 *   `kubectl create job --from=cronjob`).
 * - The run-now protocol (one for both kinds): the user sets an annotation to a new value (a
 *   timestamp reads well); the operator records the value it acted on in status
 *   (`status.handledRunNow`, `status.handledGcNow`) and never removes the annotation, because
 *   removing a user's annotation fights GitOps tools that re-apply it. The same value never runs
 *   twice; an empty value asks for nothing.
 */
import { nextScheduledRun } from './cron.js';

/** Set it to a new value to ask a RetentionPolicy for a run now. */
export const RUN_NOW_ANNOTATION = 'dockmaster.dev/run-now';
/** Set it to a new value to ask a Registry for a garbage-collection window now. */
export const GC_NOW_ANNOTATION = 'dockmaster.dev/gc-now';

/**
 * Longest requeue: Node timers overflow past 2^31-1 ms (about 24.8 days) and then fire at once,
 * so a yearly schedule must not be one timer. Looking again every hour costs nothing (no write
 * when nothing changed) and also absorbs wall-clock jumps.
 */
export const MAX_REQUEUE_MS = 60 * 60_000;

export type ScheduleTrigger = 'Schedule' | 'RunNow';

export interface ScheduleInput {
  schedule?: string;
  timeZone: string;
  suspend: boolean;
  /** metadata.creationTimestamp: the base of the first tick. */
  createdAt?: Date;
  /** Start of the last run (or window). */
  lastRunStart?: Date;
  /** Value of the run-now annotation, if set. */
  runNow?: string;
  /** The value recorded in status when the operator last acted on the annotation. */
  handledRunNow?: string;
  now: Date;
}

export interface ScheduleDecision {
  /** Set when a run is due now, with what asked for it. */
  trigger?: ScheduleTrigger;
  /** The first tick after the last run (may be past while a run waits); undefined without schedule or when suspended. */
  nextRun?: Date;
  /** When to look again if nothing else wakes the controller; undefined: no time-driven work. */
  requeueAfterMs?: number;
}

/** True when the annotation holds a value the operator has not yet acted on. */
export function isRunNowPending(runNow: string | undefined, handledRunNow: string | undefined): boolean {
  return runNow !== undefined && runNow.trim() !== '' && runNow !== handledRunNow;
}

/** The first tick after `base`; undefined when there is no schedule, it is suspended, or it never fires again. */
export function nextTick(input: Pick<ScheduleInput, 'schedule' | 'timeZone' | 'suspend'>, base: Date): Date | undefined {
  if (!input.schedule || input.suspend) return undefined;
  return nextScheduledRun(input.schedule, input.timeZone, base);
}

export function decideScheduledRun(input: ScheduleInput): ScheduleDecision {
  const base = input.lastRunStart ?? input.createdAt ?? input.now;
  const nextRun = nextTick(input, base);
  const scheduledDue = nextRun !== undefined && nextRun.getTime() <= input.now.getTime();
  const trigger: ScheduleTrigger | undefined = isRunNowPending(input.runNow, input.handledRunNow)
    ? 'RunNow'
    : scheduledDue
      ? 'Schedule'
      : undefined;
  const requeueAfterMs =
    trigger === undefined && nextRun !== undefined ? Math.min(MAX_REQUEUE_MS, nextRun.getTime() - input.now.getTime()) : undefined;
  return {
    ...(trigger ? { trigger } : {}),
    ...(nextRun ? { nextRun } : {}),
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  };
}
