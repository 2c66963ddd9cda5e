import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { RegistrySpec } from '../../api/registry.js';
import { childMetadata, type RegistryIdentity } from './children.js';

export const DEFAULT_PVC_ACCESS_MODES = ['ReadWriteOnce'];

/** The PVC holding the images, or undefined when the storage is not a PVC. */
export function buildPersistentVolumeClaim(
  owner: RegistryIdentity,
  pvcName: string,
  spec: RegistrySpec,
): V1PersistentVolumeClaim | undefined {
  const pvc = spec.storage.pvc;
  if (!pvc) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: childMetadata(owner, pvcName),
    spec: {
      accessModes: pvc.accessModes && pvc.accessModes.length > 0 ? [...pvc.accessModes] : [...DEFAULT_PVC_ACCESS_MODES],
      resources: { requests: { storage: pvc.size } },
      ...(pvc.storageClassName ? { storageClassName: pvc.storageClassName } : {}),
    },
  };
}

/** True when only one node (and so, in practice, one pod) can mount the storage read-write. */
export function isSingleWriterPvc(spec: RegistrySpec): boolean {
  const pvc = spec.storage.pvc;
  if (!pvc) return false;
  const modes = pvc.accessModes && pvc.accessModes.length > 0 ? pvc.accessModes : DEFAULT_PVC_ACCESS_MODES;
  return !modes.includes('ReadWriteMany');
}
