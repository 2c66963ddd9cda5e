import type { StorageDriver } from './driver.js';

/** Keys of the S3 credentials Secret. */
export const S3_ACCESS_KEY_KEY = 'accessKey';
export const S3_SECRET_KEY_KEY = 'secretKey';

export const s3Driver: StorageDriver = {
  kind: 's3',
  configBlock: (spec) => {
    const s3 = spec.storage.s3;
    // Access and secret keys are not in the file: they reach the process as
    // REGISTRY_STORAGE_S3_ACCESSKEY/SECRETKEY env vars from the credentials Secret, which
    // distribution merges over the s3 map because the file declares the s3 driver.
    const block: Record<string, unknown> = { bucket: s3?.bucket, region: s3?.region };
    if (s3?.endpoint) block.regionendpoint = s3.endpoint;
    return { s3: block };
  },
  podParts: (spec) => {
    const secretName = spec.storage.s3?.secretRef?.name;
    return {
      volumes: [],
      mounts: [],
      env: secretName
        ? [
            { name: 'REGISTRY_STORAGE_S3_ACCESSKEY', valueFrom: { secretKeyRef: { name: secretName, key: S3_ACCESS_KEY_KEY } } },
            { name: 'REGISTRY_STORAGE_S3_SECRETKEY', valueFrom: { secretKeyRef: { name: secretName, key: S3_SECRET_KEY_KEY } } },
          ]
        : [],
    };
  },
  secretRequirements: (spec) => {
    const name = spec.storage.s3?.secretRef?.name;
    if (!name) return [];
    return [{
      name,
      purpose: 'spec.storage.s3.secretRef.name',
      keys: [S3_ACCESS_KEY_KEY, S3_SECRET_KEY_KEY],
      howTo: `kubectl create secret generic ${name} --from-literal=${S3_ACCESS_KEY_KEY}=... --from-literal=${S3_SECRET_KEY_KEY}=...`,
    }];
  },
  problems: () => [],
  garbageCollectionUnsupported: () => undefined,
  // No filesystem in the Job to measure (the image has no S3 client): bytesFreed stays unset.
  gcBlobsDir: () => undefined,
  singleWriter: () => false,
};
