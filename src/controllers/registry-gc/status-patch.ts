/**
 * The status fields this controller owns (garbageCollectionWindow, lastGarbageCollection,
 * nextGarbageCollection) as a merge patch. Each object is written whole, with null for every
 * field it no longer has: a merge patch merges nested objects, so an omitted key would keep a
 * stale jobName or deadline from the previous phase.
 */
import type { GarbageCollectionWindow, LastGarbageCollection } from '../../api/registry-gc-status.js';
import type { RegistryStatus } from '../../api/registry.js';

const WINDOW_KEYS = ['phase', 'readOnly', 'startedAt', 'deadline', 'phaseTransitionTime', 'jobName', 'deleteUntagged', 'message'] as const;
const LAST_KEYS = ['startTime', 'completionTime', 'result', 'blobsDeleted', 'manifestsDeleted', 'bytesFreed', 'message'] as const;

type Nullable<T> = { [K in keyof T]-?: T[K] | null };

function whole<T extends object>(keys: readonly (keyof T)[], value: T): Nullable<T> {
  return Object.fromEntries(keys.map((k) => [k, value[k] ?? null])) as Nullable<T>;
}

function same<T extends object>(keys: readonly (keyof T)[], a: T | undefined, b: T): boolean {
  return keys.every((k) => (a?.[k] ?? null) === (b[k] ?? null));
}

export interface GcStatusPatch {
  garbageCollectionWindow?: Nullable<GarbageCollectionWindow>;
  lastGarbageCollection?: Nullable<LastGarbageCollection>;
  nextGarbageCollection?: string | null;
}

/** The patch from `current` to the wanted fields, or undefined when nothing would change. */
export function gcStatusPatch(
  current: RegistryStatus | undefined,
  wanted: { window?: GarbageCollectionWindow; last?: LastGarbageCollection; nextGarbageCollection?: string | null },
): GcStatusPatch | undefined {
  const patch: GcStatusPatch = {};
  if (wanted.window && !same(WINDOW_KEYS, current?.garbageCollectionWindow, wanted.window)) {
    patch.garbageCollectionWindow = whole(WINDOW_KEYS, wanted.window);
  }
  if (wanted.last && !same(LAST_KEYS, current?.lastGarbageCollection, wanted.last)) {
    patch.lastGarbageCollection = whole(LAST_KEYS, wanted.last);
  }
  if (wanted.nextGarbageCollection !== undefined && (current?.nextGarbageCollection ?? null) !== wanted.nextGarbageCollection) {
    patch.nextGarbageCollection = wanted.nextGarbageCollection;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}
