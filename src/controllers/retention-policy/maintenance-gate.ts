/**
 * The retention side of the registry maintenance protocol (src/controllers/registry-maintenance.ts):
 * a run takes the in-process lock, marks the policy Running=True in the API, then reads the
 * Registry's window phase again from the apiserver. A window that started in between backs the
 * run off; a window starting afterwards sees Running=True and waits. Either way the two never
 * overlap, even across operator restarts.
 */
import type { Registry } from '../../api/registry.js';
import type { RegistryKey, RegistryMaintenanceLocks } from '../../managed-registry/maintenance-locks.js';
import type { RetentionRunReport } from '../../retention/report.js';

/** The window phase that blocks retention, or undefined when none does (no window, or Idle). */
export function blockingWindowPhase(registry: Pick<Registry, 'status'> | undefined): string | undefined {
  const phase = registry?.status?.garbageCollectionWindow?.phase;
  return phase === undefined || phase === 'Idle' ? undefined : phase;
}

export function waitingForWindowMessage(phase: string): string {
  return `Waiting for the garbage-collection window to end (phase ${phase}); the run starts when the Registry's window is Idle.`;
}

export type GuardedRunResult =
  | { kind: 'ran'; report: RetentionRunReport }
  | { kind: 'blocked-by-window'; phase: string }
  | { kind: 'blocked-by-run'; holder: string };

export interface GuardedRunSteps {
  /** Writes Running=True to the policy's status (before anything touches the registry). */
  markRunning(): Promise<void>;
  /** The managed Registry as the apiserver has it now (not the cache); undefined for external registries. */
  readLiveRegistry?(): Promise<Pick<Registry, 'status'> | undefined>;
  /** The run itself; must not throw (failures are reports). */
  run(): Promise<RetentionRunReport>;
}

/**
 * Runs under the registry's maintenance lock, following the two-flag protocol. The caller clears
 * Running afterwards in every case but a markRunning failure (which throws: nothing was marked).
 */
export async function runUnderMaintenanceLock(
  locks: RegistryMaintenanceLocks,
  registryKey: RegistryKey,
  policyKey: string,
  steps: GuardedRunSteps,
): Promise<GuardedRunResult> {
  if (!locks.tryAcquireRetention(registryKey, policyKey)) {
    const holder = locks.holderOf(registryKey);
    if (holder?.kind === 'garbage-collection') return { kind: 'blocked-by-window', phase: 'starting' };
    return { kind: 'blocked-by-run', holder: holder?.kind === 'retention' ? holder.policy : 'another run' };
  }
  try {
    await steps.markRunning();
    if (steps.readLiveRegistry) {
      const phase = blockingWindowPhase(await steps.readLiveRegistry());
      if (phase) return { kind: 'blocked-by-window', phase };
    }
    return { kind: 'ran', report: await steps.run() };
  } finally {
    locks.releaseRetention(registryKey, policyKey);
  }
}
