/**
 * Status diff-and-patch, shared by every controller: the merge patch (`{status: {...}}` body)
 * that takes the stored status to the wanted one, holding only the owned fields whose value
 * changed and `null` for owned fields to remove; undefined when nothing changed, and then no
 * write at all (an idle reconcile makes zero writes). Only changed fields: a status computed
 * from a cache that has not yet seen our last write then cannot put back an older value of a
 * field this reconcile did not mean to change.
 */
import { hashObject } from './object-hash.js';

/** The changed owned fields of `next` against `current`, or undefined when none changed. */
export function changedStatusFields<S extends object>(
  current: S | undefined,
  next: Partial<Record<keyof S, unknown>>,
  ownedFields: readonly (keyof S)[],
): Record<string, unknown> | undefined {
  const changes: Record<string, unknown> = {};
  for (const field of ownedFields) {
    const before = current?.[field] ?? undefined;
    const after = next[field] ?? undefined;
    if (after === undefined) {
      if (before !== undefined) changes[String(field)] = null;
    } else if (before === undefined || hashObject(withoutNulls(before)) !== hashObject(withoutNulls(after))) {
      changes[String(field)] = after;
    }
  }
  return Object.keys(changes).length > 0 ? changes : undefined;
}

/**
 * A merge patch writes `null` to remove a key, so an object written whole carries nulls for the
 * keys it no longer has; compared with what is stored (where those keys are simply absent), a
 * null and an absent key are the same.
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
  }
  return value;
}
