import type { V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { RegistrySpec } from '../../api/registry.js';
import { DEFAULT_REGISTRY_IMAGE } from '../../api/registry-image-default.js';
import { distributionMajorVersion } from '../image-advisory.js';
import type { SecretRequirement, StorageDriver } from './driver.js';

/** Keys of the S3 credentials Secret. */
export const S3_ACCESS_KEY_KEY = 'accessKey';
export const S3_SECRET_KEY_KEY = 'secretKey';
/** Key of the endpoint's CA bundle in spec.storage.s3.caSecretRef. */
export const S3_CA_KEY = 'ca.crt';
const S3_CA_VOLUME = 's3-ca';
const S3_CA_MOUNT_DIR = '/etc/dockmaster/s3-ca';

/** 2.8 has no forcepathstyle key: it uses path style exactly when regionendpoint is set. */
function isDistribution2(spec: RegistrySpec): boolean {
  // The reconcile resolves the image before rendering (registry-image.ts); the default stands in otherwise.
  const major = distributionMajorVersion(spec.image ?? DEFAULT_REGISTRY_IMAGE);
  return major !== undefined && major < 3;
}

function caParts(spec: RegistrySpec): { volumes: V1Volume[]; mounts: V1VolumeMount[]; env: V1EnvVar[] } {
  const ca = spec.storage.s3?.caSecretRef?.name;
  if (!ca) return { volumes: [], mounts: [], env: [] };
  return {
    volumes: [{ name: S3_CA_VOLUME, secret: { secretName: ca, items: [{ key: S3_CA_KEY, path: S3_CA_KEY }] } }],
    mounts: [{ name: S3_CA_VOLUME, mountPath: S3_CA_MOUNT_DIR, readOnly: true }],
    // Go's TLS reads SSL_CERT_FILE in place of the system roots; AWS_CA_BUNDLE would panic.
    env: [{ name: 'SSL_CERT_FILE', value: `${S3_CA_MOUNT_DIR}/${S3_CA_KEY}` }],
  };
}

export const s3Driver: StorageDriver = {
  kind: 's3',
  configBlock: (spec) => {
    const s3 = spec.storage.s3;
    // Access and secret keys are not in the file: they reach the process as
    // REGISTRY_STORAGE_S3_ACCESSKEY/SECRETKEY env vars from the credentials Secret, which
    // distribution merges over the s3 map because the file declares the s3 driver.
    const block: Record<string, unknown> = { bucket: s3?.bucket, region: s3?.region };
    if (s3?.endpoint) block.regionendpoint = s3.endpoint;
    if (s3?.endpoint?.startsWith('http://')) block.secure = false;
    if (s3?.rootDirectory) block.rootdirectory = s3.rootDirectory;
    if (s3?.forcePathStyle !== undefined && !isDistribution2(spec)) block.forcepathstyle = s3.forcePathStyle;
    return { s3: block, ...(s3?.redirect === false && { redirect: { disable: true } }) };
  },
  podParts: (spec) => {
    const secretName = spec.storage.s3?.secretRef?.name;
    const ca = caParts(spec);
    return {
      volumes: ca.volumes,
      mounts: ca.mounts,
      env: [
        ...(secretName
          ? [
              { name: 'REGISTRY_STORAGE_S3_ACCESSKEY', valueFrom: { secretKeyRef: { name: secretName, key: S3_ACCESS_KEY_KEY } } },
              { name: 'REGISTRY_STORAGE_S3_SECRETKEY', valueFrom: { secretKeyRef: { name: secretName, key: S3_SECRET_KEY_KEY } } },
            ]
          : []),
        ...ca.env,
      ],
    };
  },
  secretRequirements: (spec) => {
    const s3 = spec.storage.s3;
    const requirements: SecretRequirement[] = [];
    const name = s3?.secretRef?.name;
    if (name) {
      requirements.push({
        name,
        purpose: 'spec.storage.s3.secretRef.name',
        keys: [S3_ACCESS_KEY_KEY, S3_SECRET_KEY_KEY],
        howTo: `kubectl create secret generic ${name} --from-literal=${S3_ACCESS_KEY_KEY}=... --from-literal=${S3_SECRET_KEY_KEY}=...`,
      });
    }
    const ca = s3?.caSecretRef?.name;
    if (ca) requirements.push({ name: ca, purpose: 'spec.storage.s3.caSecretRef.name', keys: [S3_CA_KEY], howTo: `kubectl create secret generic ${ca} --from-file=${S3_CA_KEY}=ca.pem` });
    return requirements;
  },
  problems: (spec) => {
    const s3 = spec.storage.s3;
    if (s3?.forcePathStyle === undefined || !isDistribution2(spec)) return [];
    // 2.8 decides path style from regionendpoint alone and refuses the forcepathstyle key.
    if (s3.forcePathStyle && !s3.endpoint) return [`spec.storage.s3.forcePathStyle: ${spec.image} (distribution 2.x) uses path style only with an endpoint; set spec.storage.s3.endpoint or use a registry:3.x image.`];
    if (!s3.forcePathStyle && s3.endpoint) return [`spec.storage.s3.forcePathStyle: ${spec.image} (distribution 2.x) always uses path style with an endpoint; remove forcePathStyle: false or use a registry:3.x image.`];
    return [];
  },
  garbageCollectionUnsupported: () => undefined,
  // No filesystem in the Job to measure (the image has no S3 client): bytesFreed stays unset.
  gcBlobsDir: () => undefined,
  singleWriter: () => false,
};
