/**
 * The garbage-collection window as a state machine over the Registry's status. Pure: given the
 * Registry (its spec and the phase its status records), what the controller observed for that
 * phase, and the time, it returns the one next step and the status that step leads to. Because
 * the phase lives in the apiserver, an operator that restarts mid-window lands here again and
 * resumes or rolls back; past the deadline every phase rolls back to read-write.
 *
 *   Idle ─trigger─▶ WaitingForRetention ─clear─▶ EnteringReadOnly ─every replica 405─▶ Collecting
 *     ▲                                                                               │ Job done
 *     └──────── writes work (or grace over) ──── LeavingReadOnly ◀────────────────────┘
 *   Any active phase past the deadline (or with spec.garbageCollection removed) ─▶ LeavingReadOnly.
 */
import type { Registry } from '../api/registry.js';
import type { GarbageCollectionResult, GarbageCollectionWindow, LastGarbageCollection } from '../api/registry-gc-status.js';
import { parseDurationMs } from '../api/duration.js';
import { decideDeleteUntagged } from './delete-untagged.js';
import { outputTail, parseGarbageCollectOutput } from '../managed-registry/gc-job-output.js';
import { gcJobName } from '../managed-registry/gc-job.js';
import { registryImageOf } from '../managed-registry/registry-image.js';
import { unsupportedStorageReason } from '../managed-registry/gc-job.js';
import type { WindowScheduleDecision, WindowTrigger } from './window-schedule.js';

export type ReplicaCheck = { verified: true } | { verified: false; reason: string };

export type JobObservation =
  | { state: 'Missing' }
  | { state: 'Running' }
  | { state: 'Succeeded'; output?: string }
  | { state: 'Failed'; reason: string; output?: string };

/** What the controller saw; each phase needs only its own part. */
export interface WindowObservation {
  /** Idle: whether a window is due. */
  schedule?: WindowScheduleDecision;
  /** WaitingForRetention: what still holds the registry (a Running RetentionPolicy, the lock); undefined when clear. */
  retentionBlocker?: string;
  /** EnteringReadOnly: every replica answers 405 to a write. LeavingReadOnly: every replica accepts one. */
  replicas?: ReplicaCheck;
  /** Collecting and LeavingReadOnly: the window's Job. */
  job?: JobObservation;
}

export interface WindowTiming {
  retentionRetryMs: number;
  verifyRetryMs: number;
  jobPollMs: number;
  /** How long past the deadline LeavingReadOnly keeps checking that writes work before closing anyway. */
  leaveGraceMs: number;
  /** The Job's activeDeadlineSeconds ends this long before the window's, so its pod is gone before read-write. */
  jobDeadlineMarginMs: number;
}

export const DEFAULT_WINDOW_TIMING: WindowTiming = {
  retentionRetryMs: 5_000,
  verifyRetryMs: 2_000,
  jobPollMs: 10_000,
  leaveGraceMs: 5 * 60_000,
  jobDeadlineMarginMs: 30_000,
};

export const DEFAULT_MAX_DURATION = '30m';

export interface WindowEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

interface StepEffects {
  /** The whole window status to write (undefined: unchanged). */
  window?: GarbageCollectionWindow;
  /** The whole lastGarbageCollection to write (undefined: unchanged). */
  last?: LastGarbageCollection;
  requeueAfterMs?: number;
  event?: WindowEvent;
}

export type WindowStep = StepEffects &
  (
    | { action: 'stay-idle' }
    | { action: 'open-window'; trigger: WindowTrigger }
    | { action: 'wait-for-retention' }
    | { action: 'request-read-only' }
    | { action: 'verify-read-only' }
    | { action: 'start-collecting' }
    | { action: 'create-job'; jobName: string; deleteUntagged: boolean; activeDeadlineSeconds: number }
    | { action: 'wait-for-job' }
    | { action: 'record-result' }
    | { action: 'verify-read-write'; deleteJob?: string }
    | { action: 'close' }
    | { action: 'abort'; deleteJob?: string }
  );

type Spec = Registry['spec'];

function gcSpec(registry: Registry): Spec['garbageCollection'] | undefined {
  return registry.spec?.garbageCollection;
}

function iso(date: Date): string {
  return date.toISOString();
}

function msUntil(timestamp: string | undefined, now: Date): number {
  const at = timestamp ? Date.parse(timestamp) : NaN;
  return Number.isNaN(at) ? 0 : at - now.getTime();
}

/** A requeue that never sleeps past the moment the deadline must be acted on. */
function bounded(delayMs: number, deadline: string | undefined, now: Date): number {
  return Math.max(250, Math.min(delayMs, msUntil(deadline, now) + 1_000));
}

function moved(window: GarbageCollectionWindow, phase: GarbageCollectionWindow['phase'], now: Date, changes: Partial<GarbageCollectionWindow>): GarbageCollectionWindow {
  return { ...window, ...changes, phase, phaseTransitionTime: iso(now) };
}

/** The message changes only when it says something new, so a waiting window does not write every pass. */
function withMessage(window: GarbageCollectionWindow, message: string): GarbageCollectionWindow | undefined {
  return window.message === message ? undefined : { ...window, message };
}

export function decideWindowStep(registry: Registry, observed: WindowObservation, now: Date, timing: WindowTiming = DEFAULT_WINDOW_TIMING): WindowStep {
  const window = registry.status?.garbageCollectionWindow ?? {};
  const phase = window.phase ?? 'Idle';
  if (phase === 'Idle') return idleStep(registry, window, observed, now);
  if (!gcSpec(registry)) return abort(registry, window, now, 'Failed', 'spec.garbageCollection was removed during the window; the window was abandoned and the registry returned to read-write.');
  const pastDeadline = !window.deadline || msUntil(window.deadline, now) <= 0;
  switch (phase) {
    case 'WaitingForRetention':
      if (pastDeadline) return abort(registry, window, now, 'TimedOut', `${maxDurationText(registry)} elapsed while waiting for retention runs (${observed.retentionBlocker ?? 'none left'}); no garbage was collected and the registry stayed read-write.`);
      if (observed.retentionBlocker) {
        return { action: 'wait-for-retention', window: withMessage(window, `Waiting for ${observed.retentionBlocker} to finish before making the registry read-only.`), requeueAfterMs: bounded(timing.retentionRetryMs, window.deadline, now) };
      }
      return {
        action: 'request-read-only',
        window: moved(window, 'EnteringReadOnly', now, { readOnly: true, message: 'Rolling the registry to read-only; waiting until every replica answers 405 to a write.' }),
        event: { type: 'Normal', reason: 'EnteringReadOnly', message: 'Garbage-collection window: rolling the registry to read-only (pulls keep working, pushes get 405).' },
        requeueAfterMs: timing.verifyRetryMs,
      };
    case 'EnteringReadOnly':
      if (pastDeadline) {
        const why = observed.replicas && !observed.replicas.verified ? observed.replicas.reason : 'read-only not verified';
        return abort(registry, window, now, 'TimedOut', `${maxDurationText(registry)} elapsed before every replica refused writes (${why}); no garbage was collected and the registry was returned to read-write.`);
      }
      if (observed.replicas?.verified) {
        const jobName = gcJobName(registry.metadata?.name ?? 'registry', new Date(window.startedAt ?? now));
        return {
          action: 'start-collecting',
          window: moved(window, 'Collecting', now, { jobName, message: `Every replica refuses writes; garbage-collect Job ${jobName} runs${window.deleteUntagged ? ' with --delete-untagged' : ''}.` }),
          event: { type: 'Normal', reason: 'GarbageCollectionStarted', message: `Registry is read-only; starting garbage-collect Job ${jobName}.` },
        };
      }
      return {
        action: 'verify-read-only',
        window: withMessage(window, `Waiting until every replica answers 405 to a write: ${observed.replicas?.reason ?? 'not checked yet'}.`),
        requeueAfterMs: bounded(timing.verifyRetryMs, window.deadline, now),
      };
    case 'Collecting':
      return collectingStep(registry, window, observed, now, timing, pastDeadline);
    case 'LeavingReadOnly':
      return leavingStep(registry, window, observed, now, timing);
    default:
      return abort(registry, window, now, 'Failed', `Unknown window phase ${String(phase)}; the registry was returned to read-write.`);
  }
}

function idleStep(registry: Registry, window: GarbageCollectionWindow, observed: WindowObservation, now: Date): WindowStep {
  // Never read-only outside a window, whatever an earlier writer left behind.
  const repaired = window.readOnly === true ? { ...window, phase: 'Idle' as const, readOnly: false } : undefined;
  const gc = gcSpec(registry);
  if (!gc) return { action: 'stay-idle', ...(repaired ? { window: repaired } : {}) };
  const unsupported = unsupportedStorageReason(registry.spec);
  if (unsupported) {
    const current = repaired ?? window;
    const needed = current.phase !== 'Idle' || current.message !== unsupported || current.readOnly !== false;
    return { action: 'stay-idle', ...(needed ? { window: { phase: 'Idle', readOnly: false, message: unsupported } } : {}) };
  }
  const schedule = observed.schedule ?? {};
  if (!schedule.trigger) {
    return { action: 'stay-idle', ...(repaired ? { window: repaired } : {}), ...(schedule.requeueAfterMs !== undefined ? { requeueAfterMs: schedule.requeueAfterMs } : {}) };
  }
  const decision = decideDeleteUntagged(gc.deleteUntagged ?? false, registryImageOf(registry));
  const maxMs = maxDurationMs(registry);
  const asked = schedule.trigger === 'GcNow' ? 'the gc-now annotation' : 'the schedule';
  return {
    action: 'open-window',
    trigger: schedule.trigger,
    window: {
      phase: 'WaitingForRetention',
      readOnly: false,
      startedAt: iso(now),
      deadline: iso(new Date(now.getTime() + maxMs)),
      phaseTransitionTime: iso(now),
      deleteUntagged: decision.deleteUntagged,
      message: [`Window opened by ${asked}; waiting for retention runs on this registry to finish.`, decision.refusal].filter(Boolean).join(' '),
    },
    event: { type: 'Normal', reason: 'GarbageCollectionWindowOpened', message: `Garbage-collection window opened by ${asked} (${maxDurationText(registry)}).` },
    requeueAfterMs: 0,
  };
}

function collectingStep(registry: Registry, window: GarbageCollectionWindow, observed: WindowObservation, now: Date, timing: WindowTiming, pastDeadline: boolean): WindowStep {
  const jobName = window.jobName ?? gcJobName(registry.metadata?.name ?? 'registry', new Date(window.startedAt ?? now));
  const job = observed.job ?? { state: 'Missing' };
  if (pastDeadline && (job.state === 'Missing' || job.state === 'Running')) {
    return { ...abort(registry, window, now, 'TimedOut', `${maxDurationText(registry)} elapsed while garbage-collect Job ${jobName} ran; the Job was deleted and the registry returned to read-write. Blobs it removed were unreferenced; nothing referenced was touched.`), deleteJob: jobName };
  }
  switch (job.state) {
    case 'Missing': {
      const remainingMs = msUntil(window.deadline, now) - timing.jobDeadlineMarginMs;
      return { action: 'create-job', jobName, deleteUntagged: window.deleteUntagged === true, activeDeadlineSeconds: Math.max(1, Math.floor(remainingMs / 1000)), requeueAfterMs: bounded(timing.jobPollMs, window.deadline, now) };
    }
    case 'Running':
      return { action: 'wait-for-job', requeueAfterMs: bounded(timing.jobPollMs, window.deadline, now) };
    case 'Succeeded':
    case 'Failed': {
      const last = resultOf(registry, window, job, jobName);
      const failed = last.result !== 'Succeeded';
      return {
        action: 'record-result',
        last,
        window: moved(window, 'LeavingReadOnly', now, { readOnly: false, message: `${last.message ?? ''} Returning the registry to read-write.`.trim() }),
        event: { type: failed ? 'Warning' : 'Normal', reason: failed ? 'GarbageCollectionFailed' : 'GarbageCollectionSucceeded', message: last.message ?? '' },
        requeueAfterMs: timing.verifyRetryMs,
      };
    }
  }
}

function resultOf(registry: Registry, window: GarbageCollectionWindow, job: Extract<JobObservation, { state: 'Succeeded' | 'Failed' }>, jobName: string): LastGarbageCollection {
  const refusal = decideDeleteUntagged(gcSpec(registry)?.deleteUntagged ?? false, registryImageOf(registry)).refusal;
  const base = { ...(window.startedAt ? { startTime: window.startedAt } : {}) };
  if (job.state === 'Failed') {
    const tail = job.output ? `: ${outputTail(job.output)}` : '';
    return { ...base, result: 'Failed', message: `garbage-collect Job ${jobName} failed (${job.reason})${tail}.` };
  }
  const parsed = parseGarbageCollectOutput(job.output ?? '');
  const binaryRefusal = parsed.deleteUntaggedRefused !== undefined
    ? `deleteUntagged refused: the Job's registry binary says "${parsed.deleteUntaggedRefused}", not distribution 3 or later, and 2.x deletes the per-platform manifests of tagged multi-arch indexes with --delete-untagged; garbage-collect ran without it.`
    : undefined;
  const refusals = [refusal, binaryRefusal].filter(Boolean).join(' ');
  if (parsed.blobsDeleted === undefined) {
    return { ...base, result: 'Succeeded', message: [`garbage-collect Job ${jobName} succeeded, but its output was not available: counts unknown.`, refusals].filter(Boolean).join(' ') };
  }
  const bytes = parsed.bytesFreed !== undefined
    ? `, freeing ${parsed.bytesFreed} bytes of blob files`
    : `; bytes freed not measured (${parsed.bytesNotMeasured ?? 'no measurement in the output'})`;
  return {
    ...base,
    result: 'Succeeded',
    blobsDeleted: parsed.blobsDeleted,
    manifestsDeleted: parsed.manifestsDeleted ?? 0,
    ...(parsed.bytesFreed !== undefined ? { bytesFreed: parsed.bytesFreed } : {}),
    message: [`garbage-collect deleted ${parsed.blobsDeleted} blobs and ${parsed.manifestsDeleted ?? 0} untagged manifests${bytes}.`, refusals].filter(Boolean).join(' '),
  };
}

function leavingStep(registry: Registry, window: GarbageCollectionWindow, observed: WindowObservation, now: Date, timing: WindowTiming): WindowStep {
  const recorded = registry.status?.lastGarbageCollection;
  const last: LastGarbageCollection = recorded && recorded.startTime === window.startedAt
    ? recorded
    : { ...(window.startedAt ? { startTime: window.startedAt } : {}), result: 'Failed', message: 'The window ended without a recorded result.' };
  // An aborted Job may still run: nothing but the registry may write once it is read-write.
  const deleteJob = observed.job?.state === 'Running' && window.jobName ? window.jobName : undefined;
  const closeWith = (note: string | undefined): WindowStep => {
    const message = [last.message, note].filter(Boolean).join(' ');
    const completed: LastGarbageCollection = { ...last, completionTime: iso(now), message };
    return {
      action: 'close',
      last: completed,
      window: { phase: 'Idle', readOnly: false, phaseTransitionTime: iso(now), message: `Last window: ${completed.result ?? 'Failed'}. ${message}`.trim() },
      event: { type: completed.result === 'Succeeded' ? 'Normal' : 'Warning', reason: 'GarbageCollectionWindowClosed', message: `Window closed (${completed.result ?? 'Failed'}); the registry is read-write. ${message}`.trim() },
      requeueAfterMs: 0,
    };
  };
  if (observed.replicas?.verified) return closeWith(undefined);
  const reason = observed.replicas?.reason ?? 'not checked yet';
  if (msUntil(window.deadline, now) + timing.leaveGraceMs <= 0) {
    return closeWith(`Read-write was requested but writes were not verified (${reason}); check the registry pods.`);
  }
  return {
    action: 'verify-read-write',
    ...(deleteJob ? { deleteJob } : {}),
    window: withMessage(window, `Returning the registry to read-write; waiting until every replica accepts a write: ${reason}.`),
    requeueAfterMs: timing.verifyRetryMs,
  };
}

function abort(registry: Registry, window: GarbageCollectionWindow, now: Date, result: GarbageCollectionResult, message: string): WindowStep & { action: 'abort' } {
  return {
    action: 'abort',
    ...(window.jobName ? { deleteJob: window.jobName } : {}),
    last: { ...(window.startedAt ? { startTime: window.startedAt } : {}), result, message },
    window: moved(window, 'LeavingReadOnly', now, { readOnly: false, message: `${message} Verifying that writes work again.` }),
    event: { type: 'Warning', reason: result === 'TimedOut' ? 'GarbageCollectionTimedOut' : 'GarbageCollectionFailed', message },
    requeueAfterMs: 0,
  };
}

export function maxDurationMs(registry: Registry): number {
  return parseDurationMs(gcSpec(registry)?.maxDuration ?? DEFAULT_MAX_DURATION);
}

function maxDurationText(registry: Registry): string {
  return `maxDuration ${gcSpec(registry)?.maxDuration ?? DEFAULT_MAX_DURATION}`;
}
