import { describe, expect, it } from 'vitest';
import { GARBAGE_COLLECTION_PHASES } from '../../../src/api/registry-gc-status.js';
import { decideWindowStep, type JobObservation, type ReplicaCheck, type WindowObservation } from '../../../src/gc/window-decision.js';
import { at, registryWith, T0, windowIn } from './window-fixtures.js';

const ACTIVE = GARBAGE_COLLECTION_PHASES.filter((p) => p !== 'Idle');
const REPLICAS: Array<ReplicaCheck | undefined> = [undefined, { verified: true }, { verified: false, reason: 'pod x answered 202' }];
const JOBS: Array<JobObservation | undefined> = [
  undefined,
  { state: 'Missing' },
  { state: 'Running' },
  { state: 'Succeeded', output: '3 blobs marked, 2 blobs and 0 manifests eligible for deletion\ndockmaster-gc: blob-bytes-before 900\ndockmaster-gc: blob-bytes-after 100\n' },
  { state: 'Failed', reason: 'BackoffLimitExceeded', output: 'panic: storage unreachable' },
];
const BLOCKERS = [undefined, 'RetentionPolicy web (Running=True)'];

/** Every combination of what a phase may observe. */
function observations(): WindowObservation[] {
  const all: WindowObservation[] = [];
  for (const replicas of REPLICAS) for (const job of JOBS) for (const retentionBlocker of BLOCKERS) {
    all.push({ ...(replicas ? { replicas } : {}), ...(job ? { job } : {}), ...(retentionBlocker ? { retentionBlocker } : {}) });
  }
  return all;
}

describe('decideWindowStep: every active phase × every observation', () => {
  for (const phase of ACTIVE) {
    for (const observed of observations()) {
      const label = `${phase} with ${JSON.stringify(observed)}`;
      it(`${label}: a legal move that keeps the read-only flag consistent`, () => {
        const step = decideWindowStep(registryWith(windowIn(phase)), observed, at(60));
        const next = step.window?.phase ?? phase;
        const legal: Record<string, string[]> = {
          WaitingForRetention: ['WaitingForRetention', 'EnteringReadOnly'],
          EnteringReadOnly: ['EnteringReadOnly', 'Collecting'],
          Collecting: ['Collecting', 'LeavingReadOnly'],
          LeavingReadOnly: ['LeavingReadOnly', 'Idle'],
        };
        expect(legal[phase]).toContain(next);
        const readOnly = step.window?.readOnly ?? windowIn(phase).readOnly;
        // Read-only only between requesting it and recording the result; never when closed.
        expect(readOnly).toBe(next === 'EnteringReadOnly' || next === 'Collecting');
        if (step.action !== 'close') expect(step.requeueAfterMs ?? 1).toBeGreaterThan(0);
      });
    }
  }
});

describe('decideWindowStep: the happy path, one phase at a time', () => {
  it('Idle with a due trigger opens a window with a deadline maxDuration away', () => {
    const step = decideWindowStep(registryWith(undefined), { schedule: { trigger: 'GcNow' } }, T0);
    expect(step).toMatchObject({ action: 'open-window', trigger: 'GcNow', window: { phase: 'WaitingForRetention', readOnly: false, startedAt: T0.toISOString(), deadline: at(1800).toISOString() } });
    expect(step.event?.reason).toBe('GarbageCollectionWindowOpened');
    // Said once: "maxDuration 30m", never "maxDuration maxDuration 30m".
    expect(step.event?.message).toBe('Garbage-collection window opened by the gc-now annotation (maxDuration 30m).');
  });

  it('WaitingForRetention waits while a RetentionPolicy runs, then requests read-only', () => {
    const waiting = decideWindowStep(registryWith(windowIn('WaitingForRetention')), { retentionBlocker: 'RetentionPolicy web (Running=True)' }, at(10));
    expect(waiting.action).toBe('wait-for-retention');
    expect(waiting.window?.message).toContain('RetentionPolicy web');
    expect(decideWindowStep(registryWith(windowIn('WaitingForRetention')), {}, at(10))).toMatchObject({ action: 'request-read-only', window: { phase: 'EnteringReadOnly', readOnly: true } });
  });

  it('EnteringReadOnly goes on only once every replica refused writes, naming the Job', () => {
    const pending = decideWindowStep(registryWith(windowIn('EnteringReadOnly')), { replicas: { verified: false, reason: 'pod a answered 404' } }, at(20));
    expect(pending.action).toBe('verify-read-only');
    expect(pending.window?.message).toContain('pod a answered 404');
    const verified = decideWindowStep(registryWith(windowIn('EnteringReadOnly')), { replicas: { verified: true } }, at(20));
    expect(verified).toMatchObject({ action: 'start-collecting', window: { phase: 'Collecting', readOnly: true, jobName: `main-gc-${Math.floor(T0.getTime() / 1000).toString(36)}` } });
  });

  it('Collecting creates the Job bounded by the deadline less the margin, then waits for it', () => {
    const create = decideWindowStep(registryWith(windowIn('Collecting')), { job: { state: 'Missing' } }, at(100));
    expect(create).toMatchObject({ action: 'create-job', jobName: 'main-gc-abc', deleteUntagged: false, activeDeadlineSeconds: 1800 - 100 - 30 });
    expect(create.window).toBeUndefined();
    expect(decideWindowStep(registryWith(windowIn('Collecting')), { job: { state: 'Running' } }, at(100)).action).toBe('wait-for-job');
  });

  it('a finished Job records the parsed result and requests read-write in the same write', () => {
    const step = decideWindowStep(registryWith(windowIn('Collecting')), { job: JOBS[3] as JobObservation }, at(200));
    expect(step).toMatchObject({
      action: 'record-result',
      window: { phase: 'LeavingReadOnly', readOnly: false },
      last: { result: 'Succeeded', blobsDeleted: 2, manifestsDeleted: 0, bytesFreed: 800, startTime: T0.toISOString() },
    });
    const failed = decideWindowStep(registryWith(windowIn('Collecting')), { job: JOBS[4] as JobObservation }, at(200));
    expect(failed.last).toMatchObject({ result: 'Failed' });
    expect(failed.last?.message).toContain('panic: storage unreachable');
    expect(failed.event?.type).toBe('Warning');
  });

  it('LeavingReadOnly closes once writes work, completing the recorded result', () => {
    const last = { startTime: T0.toISOString(), result: 'Succeeded' as const, blobsDeleted: 2, message: 'ok.' };
    const step = decideWindowStep(registryWith(windowIn('LeavingReadOnly'), { last }), { replicas: { verified: true } }, at(300));
    expect(step).toMatchObject({ action: 'close', window: { phase: 'Idle', readOnly: false }, last: { ...last, completionTime: at(300).toISOString() } });
    expect(step.window?.jobName).toBeUndefined();
  });

  it('LeavingReadOnly deletes a Job that still runs (an abort whose delete was lost)', () => {
    const step = decideWindowStep(registryWith(windowIn('LeavingReadOnly')), { replicas: { verified: false, reason: 'rolling' }, job: { state: 'Running' } }, at(300));
    expect(step).toMatchObject({ action: 'verify-read-write', deleteJob: 'main-gc-abc' });
  });
});

describe('decideWindowStep: the deadline, in every phase', () => {
  for (const phase of ['WaitingForRetention', 'EnteringReadOnly', 'Collecting'] as const) {
    it(`${phase} past the deadline rolls back: read-write requested, TimedOut recorded`, () => {
      const observed: WindowObservation = { retentionBlocker: 'RetentionPolicy web (Running=True)', replicas: { verified: false, reason: 'x' }, job: { state: 'Running' } };
      const step = decideWindowStep(registryWith(windowIn(phase)), observed, at(1800));
      expect(step).toMatchObject({ action: 'abort', window: { phase: 'LeavingReadOnly', readOnly: false }, last: { result: 'TimedOut', startTime: T0.toISOString() } });
      expect(step.last?.message).toContain('maxDuration 30m elapsed');
      expect(step.event).toMatchObject({ type: 'Warning', reason: 'GarbageCollectionTimedOut' });
      if (phase === 'Collecting') expect(step).toMatchObject({ deleteJob: 'main-gc-abc' });
    });
  }

  it('Collecting past the deadline with the Job already done records its result instead', () => {
    expect(decideWindowStep(registryWith(windowIn('Collecting')), { job: JOBS[3] as JobObservation }, at(1900)).action).toBe('record-result');
  });

  it('LeavingReadOnly keeps checking writes through the grace period, then closes saying they were not verified', () => {
    const last = { startTime: T0.toISOString(), result: 'TimedOut' as const, message: 'maxDuration 30m elapsed.' };
    const registry = registryWith(windowIn('LeavingReadOnly'), { last });
    expect(decideWindowStep(registry, { replicas: { verified: false, reason: 'pod down' } }, at(1800 + 60)).action).toBe('verify-read-write');
    const closed = decideWindowStep(registry, { replicas: { verified: false, reason: 'pod down' } }, at(1800 + 300));
    expect(closed).toMatchObject({ action: 'close', window: { phase: 'Idle', readOnly: false }, last: { result: 'TimedOut' } });
    expect(closed.last?.message).toContain('writes were not verified (pod down)');
  });

  it('an active phase without a deadline (a damaged status) rolls back at once', () => {
    expect(decideWindowStep(registryWith(windowIn('Collecting', { deadline: undefined })), { job: { state: 'Running' } }, at(1)).action).toBe('abort');
  });

  it('removing spec.garbageCollection mid-window abandons it as Failed', () => {
    const step = decideWindowStep(registryWith(windowIn('Collecting'), { gc: null }), { job: { state: 'Running' } }, at(5));
    expect(step).toMatchObject({ action: 'abort', last: { result: 'Failed' }, deleteJob: 'main-gc-abc' });
  });
});

describe('decideWindowStep: operator restart', () => {
  it('resumes from the phase in status alone: the same status and observation give the same step', () => {
    for (const phase of ACTIVE) {
      for (const observed of observations()) {
        const registry = registryWith(windowIn(phase));
        expect(decideWindowStep(registry, observed, at(60))).toEqual(decideWindowStep(structuredClone(registry), structuredClone(observed), at(60)));
      }
    }
  });

  it('a restart in Collecting after the Job vanished recreates it under the same name (idempotent create)', () => {
    const first = decideWindowStep(registryWith(windowIn('Collecting')), { job: { state: 'Missing' } }, at(60));
    const afterRestart = decideWindowStep(registryWith(windowIn('Collecting')), { job: { state: 'Missing' } }, at(600));
    expect(first.action).toBe('create-job');
    expect(afterRestart).toMatchObject({ action: 'create-job', jobName: (first as { jobName: string }).jobName });
  });

  it('a restart in LeavingReadOnly with no recorded result closes as Failed, never read-only', () => {
    const step = decideWindowStep(registryWith(windowIn('LeavingReadOnly')), { replicas: { verified: true } }, at(60));
    expect(step).toMatchObject({ action: 'close', window: { readOnly: false }, last: { result: 'Failed' } });
  });
});

describe('decideWindowStep: Idle', () => {
  it('repairs readOnly=true left on an Idle window', () => {
    expect(decideWindowStep(registryWith({ phase: 'Idle', readOnly: true }), {}, T0)).toMatchObject({ action: 'stay-idle', window: { readOnly: false } });
    expect(decideWindowStep(registryWith({ phase: 'Idle', readOnly: true }, { gc: null }), {}, T0)).toMatchObject({ action: 'stay-idle', window: { readOnly: false } });
  });

  it('waits for the next tick when nothing is due', () => {
    expect(decideWindowStep(registryWith({ phase: 'Idle', readOnly: false }), { schedule: { requeueAfterMs: 5000 } }, T0)).toEqual({ action: 'stay-idle', requeueAfterMs: 5000 });
  });

  it('refuses emptyDir storage in the status and opens nothing, even when asked', () => {
    const step = decideWindowStep(registryWith(undefined, { storage: { emptyDir: {} } }), { schedule: { trigger: 'GcNow' } }, T0);
    expect(step.action).toBe('stay-idle');
    expect(step.window).toMatchObject({ phase: 'Idle', readOnly: false });
    expect(step.window?.message).toContain('emptyDir');
  });

  it('says in the window message when deleteUntagged is refused for 2.x', () => {
    const step = decideWindowStep(registryWith(undefined, { gc: { deleteUntagged: true } }), { schedule: { trigger: 'Schedule' } }, T0);
    expect(step.window).toMatchObject({ deleteUntagged: false });
    expect(step.window?.message).toContain('deleteUntagged refused');
    const v3 = decideWindowStep(registryWith(undefined, { gc: { deleteUntagged: true }, image: 'registry:3.0.0' }), { schedule: { trigger: 'Schedule' } }, T0);
    expect(v3.window).toMatchObject({ deleteUntagged: true });
  });
});
