import type { RegistrySpec } from '../api/registry.js';

/**
 * Why a Job cannot collect this registry's storage, or undefined when it can. The Job must see
 * the very bytes the registry serves: an emptyDir belongs to the registry pod alone, and a
 * ReadWriteOncePod claim admits no second pod while the registry runs.
 */
export function unsupportedStorageReason(spec: Pick<RegistrySpec, 'storage'>): string | undefined {
  if (spec.storage.emptyDir) {
    return 'Garbage collection needs pvc or s3 storage: an emptyDir lives inside the registry pod, where no garbage-collect Job can reach it.';
  }
  if (spec.storage.pvc?.accessModes?.includes('ReadWriteOncePod')) {
    return 'Garbage collection cannot run on a ReadWriteOncePod claim: the garbage-collect Job would need a second pod on it. Use ReadWriteOnce or ReadWriteMany.';
  }
  return undefined;
}
