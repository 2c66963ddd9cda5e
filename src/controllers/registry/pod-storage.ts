import type { V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { RegistrySpec } from '../../api/registry.js';
import {
  CONFIG_MOUNT_DIR,
  HTPASSWD_FILE,
  HTPASSWD_MOUNT_DIR,
  STORAGE_MOUNT_DIR,
  TLS_CERT_KEY,
  TLS_KEY_KEY,
  TLS_MOUNT_DIR,
} from './config.js';
import { HTTP_SECRET_ENV, HTTP_SECRET_KEY } from './http-secret.js';
import type { RegistryChildNames } from './children.js';

/** Key of the htpasswd file inside the user's Secret. */
export const HTPASSWD_SECRET_KEY = 'htpasswd';
/** Keys of the S3 credentials Secret. */
export const S3_ACCESS_KEY_KEY = 'accessKey';
export const S3_SECRET_KEY_KEY = 'secretKey';

export const VOLUME_CONFIG = 'config';
export const VOLUME_DATA = 'data';
export const VOLUME_HTPASSWD = 'htpasswd';
export const VOLUME_CERTS = 'certs';

export interface PodStorage {
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
  env: V1EnvVar[];
}

/** Volumes, mounts and env of the registry pod: exactly the paths the config file names. */
export function buildPodStorage(spec: RegistrySpec, names: RegistryChildNames): PodStorage {
  const volumes: V1Volume[] = [{ name: VOLUME_CONFIG, configMap: { name: names.configMap } }];
  const mounts: V1VolumeMount[] = [{ name: VOLUME_CONFIG, mountPath: CONFIG_MOUNT_DIR, readOnly: true }];
  const env: V1EnvVar[] = [
    { name: HTTP_SECRET_ENV, valueFrom: { secretKeyRef: { name: names.httpSecret, key: HTTP_SECRET_KEY } } },
  ];

  if (spec.storage.pvc) {
    volumes.push({ name: VOLUME_DATA, persistentVolumeClaim: { claimName: names.pvc } });
    mounts.push({ name: VOLUME_DATA, mountPath: STORAGE_MOUNT_DIR });
  } else if (spec.storage.s3) {
    const secretName = spec.storage.s3.secretRef?.name;
    if (secretName) {
      env.push(
        { name: 'REGISTRY_STORAGE_S3_ACCESSKEY', valueFrom: { secretKeyRef: { name: secretName, key: S3_ACCESS_KEY_KEY } } },
        { name: 'REGISTRY_STORAGE_S3_SECRETKEY', valueFrom: { secretKeyRef: { name: secretName, key: S3_SECRET_KEY_KEY } } },
      );
    }
  } else {
    const sizeLimit = spec.storage.emptyDir?.sizeLimit;
    volumes.push({ name: VOLUME_DATA, emptyDir: sizeLimit ? { sizeLimit } : {} });
    mounts.push({ name: VOLUME_DATA, mountPath: STORAGE_MOUNT_DIR });
  }

  const htpasswdSecret = spec.auth?.htpasswdSecret;
  if (htpasswdSecret) {
    volumes.push({
      name: VOLUME_HTPASSWD,
      secret: { secretName: htpasswdSecret, items: [{ key: HTPASSWD_SECRET_KEY, path: HTPASSWD_FILE }] },
    });
    mounts.push({ name: VOLUME_HTPASSWD, mountPath: HTPASSWD_MOUNT_DIR, readOnly: true });
  }
  if (spec.tls) {
    volumes.push({
      name: VOLUME_CERTS,
      secret: {
        secretName: spec.tls.secretName,
        items: [
          { key: TLS_CERT_KEY, path: TLS_CERT_KEY },
          { key: TLS_KEY_KEY, path: TLS_KEY_KEY },
        ],
      },
    });
    mounts.push({ name: VOLUME_CERTS, mountPath: TLS_MOUNT_DIR, readOnly: true });
  }
  return { volumes, mounts, env };
}
