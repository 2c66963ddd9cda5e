/**
 * The storage drivers, and the one a spec names. The schema guarantees exactly one of them is
 * set (CEL and zod); a spec stored with several set is refused by findSpecProblems before any
 * child is built, and one with none set runs on an emptyDir, as it always did.
 */
import type { RegistrySpec } from '../../api/registry.js';
import type { StorageDriver } from './driver.js';
import { emptyDirDriver } from './empty-dir.js';
import { pvcDriver } from './pvc.js';
import { s3Driver } from './s3.js';

export const STORAGE_DRIVERS: readonly StorageDriver[] = [pvcDriver, emptyDirDriver, s3Driver];

export function storageDriverFor(spec: Pick<RegistrySpec, 'storage'>): StorageDriver {
  const storage = spec.storage as Record<string, unknown>;
  return STORAGE_DRIVERS.find((d) => storage[d.kind]) ?? emptyDirDriver;
}

/** The `spec.storage` kinds set, for the "exactly one" check on specs stored before the CEL rule. */
export function storageKindsSet(spec: Pick<RegistrySpec, 'storage'>): string[] {
  const storage = spec.storage as Record<string, unknown>;
  return STORAGE_DRIVERS.filter((d) => storage[d.kind]).map((d) => d.kind);
}

export type { StorageDriver, SecretRequirement } from './driver.js';
export { isSingleWriterPvc } from './pvc.js';
