import { BLOBS_SUBPATH, STORAGE_MOUNT_DIR, VOLUME_DATA, type StorageDriver } from './driver.js';

export const emptyDirDriver: StorageDriver = {
  kind: 'emptyDir',
  configBlock: () => ({ filesystem: { rootdirectory: STORAGE_MOUNT_DIR } }),
  podParts: (spec) => {
    const sizeLimit = spec.storage.emptyDir?.sizeLimit;
    return {
      volumes: [{ name: VOLUME_DATA, emptyDir: sizeLimit ? { sizeLimit } : {} }],
      mounts: [{ name: VOLUME_DATA, mountPath: STORAGE_MOUNT_DIR }],
      env: [],
    };
  },
  secretRequirements: () => [],
  problems: (spec) =>
    spec.replicas > 1
      ? [
          `spec.replicas is ${spec.replicas} with emptyDir storage: each pod would hold different images; ` +
            'set spec.replicas to 1, or use a ReadWriteMany PVC or s3 storage.',
        ]
      : [],
  garbageCollectionUnsupported: () =>
    'Garbage collection needs pvc or s3 storage: an emptyDir lives inside the registry pod, where no garbage-collect Job can reach it.',
  gcBlobsDir: () => `${STORAGE_MOUNT_DIR}/${BLOBS_SUBPATH}`,
  singleWriter: () => false,
};
