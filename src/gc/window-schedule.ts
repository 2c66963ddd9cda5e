/**
 * When a garbage-collection window opens: on `spec.garbageCollection.schedule` (cron in
 * timeZone) or when asked through the gc-now annotation. The shared schedule decider
 * (api/run-schedule.ts) decides; this names its trigger the way the window's messages and events
 * do. The gc-now value acted on is recorded in `status.handledGcNow`, as retention records
 * `status.handledRunNow`; the annotation is left in place.
 */
import { decideScheduledRun, GC_NOW_ANNOTATION, MAX_REQUEUE_MS } from '../api/run-schedule.js';

export { GC_NOW_ANNOTATION };
/** Node timers overflow past ~24.8 days; looking again hourly also absorbs clock jumps. */
export const MAX_IDLE_REQUEUE_MS = MAX_REQUEUE_MS;

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
  /** status.handledGcNow: the gc-now value the last window opened for. */
  handledGcNow?: string;
  now: Date;
}

export interface WindowScheduleDecision {
  trigger?: WindowTrigger;
  /** The next scheduled tick (may be past while nothing could open it); undefined when suspended. */
  nextWindow?: Date;
  /** When to look again if nothing wakes the controller. */
  requeueAfterMs?: number;
}

export function decideWindowTrigger(input: WindowScheduleInput): WindowScheduleDecision {
  const decision = decideScheduledRun({
    schedule: input.schedule,
    timeZone: input.timeZone,
    suspend: input.suspend,
    ...(input.createdAt && { createdAt: input.createdAt }),
    ...(input.lastWindowStart && { lastRunStart: input.lastWindowStart }),
    ...(input.gcNow !== undefined && { runNow: input.gcNow }),
    ...(input.handledGcNow !== undefined && { handledRunNow: input.handledGcNow }),
    now: input.now,
  });
  const trigger: WindowTrigger | undefined = decision.trigger === 'RunNow' ? 'GcNow' : decision.trigger;
  return {
    ...(trigger ? { trigger } : {}),
    ...(decision.nextRun ? { nextWindow: decision.nextRun } : {}),
    ...(decision.requeueAfterMs !== undefined ? { requeueAfterMs: decision.requeueAfterMs } : {}),
  };
}
