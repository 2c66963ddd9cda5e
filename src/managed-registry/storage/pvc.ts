import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { RegistrySpec } from '../../api/registry.js';
import { childMetadata, type RegistryChildNames, type RegistryIdentity } from '../children.js';
import { BLOBS_SUBPATH, STORAGE_MOUNT_DIR, VOLUME_DATA, type StorageDriver } from './driver.js';

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

export const pvcDriver: StorageDriver = {
  kind: 'pvc',
  configBlock: () => ({ filesystem: { rootdirectory: STORAGE_MOUNT_DIR } }),
  podParts: (_spec, names: RegistryChildNames) => ({
    volumes: [{ name: VOLUME_DATA, persistentVolumeClaim: { claimName: names.pvc } }],
    mounts: [{ name: VOLUME_DATA, mountPath: STORAGE_MOUNT_DIR }],
    env: [],
  }),
  secretRequirements: () => [],
  problems: (spec) =>
    spec.replicas > 1 && isSingleWriterPvc(spec)
      ? [
          `spec.replicas is ${spec.replicas} but the PVC is not ReadWriteMany, so only one pod can mount it; ` +
            'set spec.replicas to 1, or spec.storage.pvc.accessModes to [ReadWriteMany] with a storage class that supports it, or use s3 storage.',
        ]
      : [],
  // The Job must see the very bytes the registry serves: a ReadWriteOncePod claim admits no
  // second pod while the registry runs.
  garbageCollectionUnsupported: (spec) =>
    spec.storage.pvc?.accessModes?.includes('ReadWriteOncePod')
      ? 'Garbage collection cannot run on a ReadWriteOncePod claim: the garbage-collect Job would need a second pod on it. Use ReadWriteOnce or ReadWriteMany.'
      : undefined,
  gcBlobsDir: () => `${STORAGE_MOUNT_DIR}/${BLOBS_SUBPATH}`,
  singleWriter: isSingleWriterPvc,
  buildChild: (owner, names, spec) => buildPersistentVolumeClaim(owner, names.pvc, spec),
};
