/**
 * Mutual exclusion between the two things that must never overlap on one registry: retention
 * runs (they DELETE manifests) and garbage-collection windows (they need nobody writing).
 *
 * Two layers, because each covers what the other cannot:
 * - In process, this lock: the leader runs both controllers, so a synchronous try-acquire
 *   decides races between them without waiting for informer caches to catch up.
 * - Across operator restarts, the API objects: a retention run marks its RetentionPolicy with
 *   the condition `Running=True` (CONDITION_RUNNING in api/retention-policy-conditions.ts) before it starts, and a window records its phase in
 *   `Registry.status.garbageCollectionWindow`. A new leader reads those (a window in any phase
 *   other than Idle blocks retention; a `Running` policy makes the window wait) and
 *   re-acquires the lock before acting.
 */

export type MaintenanceHolder = { kind: 'retention'; policy: string } | { kind: 'garbage-collection' };

/** Key of a managed Registry: `namespace/name`. External registries use their URL. */
export type RegistryKey = string;

export class RegistryMaintenanceLocks {
  private readonly retention = new Map<RegistryKey, Set<string>>();
  private readonly collecting = new Set<RegistryKey>();

  /**
   * Retention runs on one registry are also serialised: at most one policy at a time.
   * Returns false (try again later) when a window or another run holds the registry.
   */
  tryAcquireRetention(registry: RegistryKey, policy: string): boolean {
    if (this.collecting.has(registry)) return false;
    const running = this.retention.get(registry);
    if (running && running.size > 0 && !running.has(policy)) return false;
    this.retention.set(registry, new Set([policy]));
    return true;
  }

  releaseRetention(registry: RegistryKey, policy: string): void {
    const running = this.retention.get(registry);
    running?.delete(policy);
    if (running?.size === 0) this.retention.delete(registry);
  }

  /** Returns false while a retention run holds the registry: the window waits for it. */
  tryAcquireGarbageCollection(registry: RegistryKey): boolean {
    if ((this.retention.get(registry)?.size ?? 0) > 0) return false;
    this.collecting.add(registry);
    return true;
  }

  releaseGarbageCollection(registry: RegistryKey): void {
    this.collecting.delete(registry);
  }

  holderOf(registry: RegistryKey): MaintenanceHolder | undefined {
    if (this.collecting.has(registry)) return { kind: 'garbage-collection' };
    const policy = this.retention.get(registry)?.values().next().value;
    return policy === undefined ? undefined : { kind: 'retention', policy };
  }
}
