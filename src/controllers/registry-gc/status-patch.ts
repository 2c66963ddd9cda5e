/**
 * The status fields this controller owns (garbageCollectionWindow, lastGarbageCollection,
 * nextGarbageCollection) as a merge patch. Each object is written whole, with null for every
 * field it no longer has: a merge patch merges nested objects, so an omitted key would keep a
 * stale jobName or deadline from the previous phase.
 */
import type { GarbageCollectionWindow, LastGarbageCollection } from '../../api/registry-gc-status.js';
import type { RegistryStatus } from '../../api/registry.js';
import { changedStatusFields } from '../../runtime/status-patch.js';

const WINDOW_KEYS = ['phase', 'readOnly', 'startedAt', 'deadline', 'phaseTransitionTime', 'jobName', 'deleteUntagged', 'message'] as const;
const LAST_KEYS = ['startTime', 'completionTime', 'result', 'blobsDeleted', 'manifestsDeleted', 'bytesFreed', 'message'] as const;

type Nullable<T> = { [K in keyof T]-?: T[K] | null };

function whole<T extends object>(keys: readonly (keyof T)[], value: T): Nullable<T> {
  return Object.fromEntries(keys.map((k) => [k, value[k] ?? null])) as Nullable<T>;
}

export interface GcStatusPatch {
  garbageCollectionWindow?: Nullable<GarbageCollectionWindow>;
  lastGarbageCollection?: Nullable<LastGarbageCollection>;
  nextGarbageCollection?: string | null;
  handledGcNow?: string;
}

type WantedGcStatus = { window?: GarbageCollectionWindow; last?: LastGarbageCollection; nextGarbageCollection?: string | null; handledGcNow?: string };

/** The patch from `current` to the wanted fields (only those given), or undefined when nothing would change. */
export function gcStatusPatch(current: RegistryStatus | undefined, wanted: WantedGcStatus): GcStatusPatch | undefined {
  const next: GcStatusPatch = {
    ...(wanted.window && { garbageCollectionWindow: whole(WINDOW_KEYS, wanted.window) }),
    ...(wanted.last && { lastGarbageCollection: whole(LAST_KEYS, wanted.last) }),
    ...(wanted.nextGarbageCollection !== undefined && { nextGarbageCollection: wanted.nextGarbageCollection }),
    ...(wanted.handledGcNow !== undefined && { handledGcNow: wanted.handledGcNow }),
  };
  return changedStatusFields(current, next, Object.keys(next) as (keyof RegistryStatus)[]) as GcStatusPatch | undefined;
}
