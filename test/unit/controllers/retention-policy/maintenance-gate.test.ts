import { describe, expect, it } from 'vitest';
import { RegistryMaintenanceLocks } from '../../../../src/managed-registry/maintenance-locks.js';
import { blockingWindowPhase, runUnderMaintenanceLock, type GuardedRunSteps } from '../../../../src/controllers/retention-policy/maintenance-gate.js';
import { failedReport } from '../../../../src/controllers/retention-policy/run-summary.js';
import type { GarbageCollectionPhase } from '../../../../src/api/registry-gc-status.js';

const report = failedReport('u', 'ns/p', 'x', new Date(0), new Date(0));
const withPhase = (phase?: GarbageCollectionPhase) => ({ status: phase ? { garbageCollectionWindow: { phase } } : {} });

function steps(livePhase?: GarbageCollectionPhase): GuardedRunSteps & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    markRunning: async () => void calls.push('mark'),
    readLiveRegistry: async () => (calls.push('read'), withPhase(livePhase)),
    run: async () => (calls.push('run'), report),
  };
}

describe('blockingWindowPhase', () => {
  it.each([[undefined, undefined], ['Idle', undefined], ['WaitingForRetention', 'WaitingForRetention'], ['EnteringReadOnly', 'EnteringReadOnly'], ['Collecting', 'Collecting'], ['LeavingReadOnly', 'LeavingReadOnly']] as const)(
    'phase %s blocks: %s',
    (phase, expected) => {
      expect(blockingWindowPhase(withPhase(phase))).toBe(expected);
    },
  );
  it('an absent Registry or status blocks nothing', () => {
    expect(blockingWindowPhase(undefined)).toBeUndefined();
    expect(blockingWindowPhase({})).toBeUndefined();
  });
});

describe('runUnderMaintenanceLock', () => {
  it('marks Running, re-reads the live window phase, then runs; the lock is free afterwards', async () => {
    const locks = new RegistryMaintenanceLocks();
    const s = steps('Idle');
    const result = await runUnderMaintenanceLock(locks, 'ns/main', 'ns/p', s);
    expect(result).toEqual({ kind: 'ran', report });
    expect(s.calls).toEqual(['mark', 'read', 'run']);
    expect(locks.holderOf('ns/main')).toBeUndefined();
  });

  it('holds the lock during the run: a GC window cannot start, another policy on the same registry waits', async () => {
    const locks = new RegistryMaintenanceLocks();
    let during: unknown[] = [];
    const s = steps();
    s.run = async () => {
      during = [locks.tryAcquireGarbageCollection('ns/main'), await runUnderMaintenanceLock(locks, 'ns/main', 'ns/other', steps())];
      return report;
    };
    await runUnderMaintenanceLock(locks, 'ns/main', 'ns/p', s);
    expect(during).toEqual([false, { kind: 'blocked-by-run', holder: 'ns/p' }]);
    // Another registry is independent.
    expect(await runUnderMaintenanceLock(locks, 'ns/other-registry', 'ns/other', steps())).toMatchObject({ kind: 'ran' });
  });

  it('backs off without marking when the GC controller holds the registry', async () => {
    const locks = new RegistryMaintenanceLocks();
    expect(locks.tryAcquireGarbageCollection('ns/main')).toBe(true);
    const s = steps();
    expect(await runUnderMaintenanceLock(locks, 'ns/main', 'ns/p', s)).toMatchObject({ kind: 'blocked-by-window' });
    expect(s.calls).toEqual([]);
  });

  it('backs off when a window started between the cache check and Running=True (two-flag protocol)', async () => {
    const locks = new RegistryMaintenanceLocks();
    const s = steps('EnteringReadOnly');
    expect(await runUnderMaintenanceLock(locks, 'ns/main', 'ns/p', s)).toEqual({ kind: 'blocked-by-window', phase: 'EnteringReadOnly' });
    expect(s.calls).toEqual(['mark', 'read']);
    expect(locks.tryAcquireGarbageCollection('ns/main')).toBe(true);
  });

  it('releases the lock when marking Running fails', async () => {
    const locks = new RegistryMaintenanceLocks();
    const s = steps();
    s.markRunning = async () => {
      throw new Error('apiserver down');
    };
    await expect(runUnderMaintenanceLock(locks, 'ns/main', 'ns/p', s)).rejects.toThrow('apiserver down');
    expect(locks.holderOf('ns/main')).toBeUndefined();
  });

  it('external registries (no live Registry to read) run after marking', async () => {
    const s = steps();
    delete s.readLiveRegistry;
    expect(await runUnderMaintenanceLock(new RegistryMaintenanceLocks(), 'https://r.example', 'ns/p', s)).toMatchObject({ kind: 'ran' });
    expect(s.calls).toEqual(['mark', 'run']);
  });
});
