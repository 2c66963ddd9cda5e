/**
 * When a RetentionPolicy runs: the pure decision from its spec, its status and the clock.
 * Level-based: the next tick is computed from the last run's start (or the policy's creation), so
 * a decision never depends on which event woke the controller, and ticks missed while the
 * operator was down collapse into one run (the run's start moves the base past all of them).
 */
import { nextScheduledRun } from '../../api/cron.js';

/** Set it to a new value (e.g. a timestamp) to ask for a run now; the same value never runs twice. */
export const RUN_NOW_ANNOTATION = 'dockmaster.dev/run-now';

/**
 * Longest requeue: Node timers overflow past 2^31-1 ms (about 24.8 days) and then fire at once,
 * so a yearly schedule must not be one timer. Looking again every hour costs nothing (no write
 * when nothing changed) and also absorbs wall-clock jumps.
 */
export const MAX_REQUEUE_MS = 60 * 60_000;

export type RunTrigger = 'Schedule' | 'RunNow';

export interface RunScheduleInput {
  schedule?: string;
  timeZone: string;
  suspend: boolean;
  /** metadata.creationTimestamp: the base of the first tick. */
  createdAt?: Date;
  /** status.lastRun.startTime. */
  lastRunStart?: Date;
  /** Value of the run-now annotation, if set. */
  runNow?: string;
  /** status.handledRunNow. */
  handledRunNow?: string;
  now: Date;
}

export interface RunDecision {
  /** Set when a run is due now, with what asked for it. */
  trigger?: RunTrigger;
  /** The first tick after the last run (may be past while a run waits); undefined without schedule or when suspended. */
  nextRun?: Date;
  /** When to look again if nothing else wakes the controller; undefined: no time-driven work. */
  requeueAfterMs?: number;
}

/** True when the annotation holds a value the operator has not yet run for. */
export function isRunNowPending(runNow: string | undefined, handledRunNow: string | undefined): boolean {
  return runNow !== undefined && runNow.trim() !== '' && runNow !== handledRunNow;
}

/** The first tick after `base`; undefined when there is no schedule, it is suspended, or it never fires again. */
export function nextTick(input: Pick<RunScheduleInput, 'schedule' | 'timeZone' | 'suspend'>, base: Date): Date | undefined {
  if (!input.schedule || input.suspend) return undefined;
  return nextScheduledRun(input.schedule, input.timeZone, base);
}

export function decideRun(input: RunScheduleInput): RunDecision {
  const base = input.lastRunStart ?? input.createdAt ?? input.now;
  const nextRun = nextTick(input, base);
  const scheduledDue = nextRun !== undefined && nextRun.getTime() <= input.now.getTime();
  // Suspend stops the schedule only: an explicit run-now is still honoured (like `kubectl create job --from=cronjob`).
  const trigger: RunTrigger | undefined = isRunNowPending(input.runNow, input.handledRunNow)
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
