import type { GarbageCollectionWindow, LastGarbageCollection } from '../../../src/api/registry-gc-status.js';
import type { Registry } from '../../../src/api/registry.js';

export const T0 = new Date('2025-03-02T03:00:00.000Z');
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

/** A Registry on a PVC with a 30-minute GC window, in the given window state. */
export function registryWith(window: GarbageCollectionWindow | undefined, overrides: { gc?: Partial<NonNullable<Registry['spec']['garbageCollection']>> | null; image?: string; storage?: Registry['spec']['storage']; last?: LastGarbageCollection; annotations?: Record<string, string> } = {}): Registry {
  const gc = overrides.gc === null
    ? undefined
    : { schedule: '0 3 * * 0', timeZone: 'UTC', maxDuration: '30m', deleteUntagged: false, suspend: false, ...overrides.gc };
  return {
    apiVersion: 'dockmaster.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name: 'main', namespace: 'registries', uid: 'uid-1', creationTimestamp: '2025-01-01T00:00:00Z', ...(overrides.annotations ? { annotations: overrides.annotations } : {}) },
    spec: {
      image: overrides.image ?? 'registry:2.8.3',
      replicas: 1,
      storage: overrides.storage ?? { pvc: { size: '10Gi', deleteOnRemoval: false } },
      service: { type: 'ClusterIP', port: 5000 },
      hostnames: [],
      admission: { allowed: true },
      ...(gc ? { garbageCollection: gc } : {}),
    },
    status: { ...(window ? { garbageCollectionWindow: window } : {}), ...(overrides.last ? { lastGarbageCollection: overrides.last } : {}) },
  } as Registry;
}

/** The window as it stands in each active phase of a window opened at T0. */
export function windowIn(phase: NonNullable<GarbageCollectionWindow['phase']>, extra: Partial<GarbageCollectionWindow> = {}): GarbageCollectionWindow {
  return {
    phase,
    readOnly: phase === 'EnteringReadOnly' || phase === 'Collecting',
    startedAt: T0.toISOString(),
    deadline: at(1800).toISOString(),
    phaseTransitionTime: T0.toISOString(),
    deleteUntagged: false,
    ...(phase === 'Collecting' || phase === 'LeavingReadOnly' ? { jobName: 'main-gc-abc' } : {}),
    ...extra,
  };
}
