/**
 * When a garbage-collection window opens: on `spec.garbageCollection.schedule` (cron in
 * timeZone) or when asked through the gc-now annotation. Level-based like the retention
 * schedule: the next tick counts from the last window's start (or the Registry's creation), so
 * ticks missed while the operator was down collapse into one window.
 */
import { nextScheduledRun } from '../api/cron.js';

/**
 * Set it (any non-empty value, e.g. a timestamp) to open a window now. The operator removes it
 * when the window opens, only if it still holds the value it acted on (a JSON-patch test), so a
 * request made during a window opens another one afterwards.
 */
export const GC_NOW_ANNOTATION = 'dockmaster.dev/gc-now';

/** Node timers overflow past ~24.8 days; looking again hourly also absorbs clock jumps. */
export const MAX_IDLE_REQUEUE_MS = 60 * 60_000;

export type WindowTrigger = 'Schedule' | 'GcNow';

export interface WindowScheduleInput {
  schedule: string;
  timeZone: string;
  suspend: boolean;
  createdAt?: Date;
  /** status.lastGarbageCollection.startTime. */
  lastWindowStart?: Date;
  /** Value of the gc-now annotation, if any. */
  gcNow?: string;
  now: Date;
}

export interface WindowScheduleDecision {
  trigger?: WindowTrigger;
  /** The next scheduled tick (may be past while nothing could open it); undefined when suspended. */
  nextWindow?: Date;
  /** When to look again if nothing wakes the controller. */
  requeueAfterMs?: number;
}

export function isGcNowPending(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

export function decideWindowTrigger(input: WindowScheduleInput): WindowScheduleDecision {
  const base = input.lastWindowStart ?? input.createdAt ?? input.now;
  const nextWindow = input.suspend ? undefined : nextScheduledRun(input.schedule, input.timeZone, base);
  const due = nextWindow !== undefined && nextWindow.getTime() <= input.now.getTime();
  // suspend stops the schedule only; an explicit gc-now is still honoured.
  const trigger: WindowTrigger | undefined = isGcNowPending(input.gcNow) ? 'GcNow' : due ? 'Schedule' : undefined;
  const requeueAfterMs =
    trigger === undefined && nextWindow !== undefined ? Math.min(MAX_IDLE_REQUEUE_MS, nextWindow.getTime() - input.now.getTime()) : undefined;
  return {
    ...(trigger ? { trigger } : {}),
    ...(nextWindow ? { nextWindow } : {}),
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  };
}
