import type { V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { RegistrySpec } from '../api/registry.js';
import type { RegistryChildNames } from './children.js';
import { CONFIG_MOUNT_DIR, HTPASSWD_FILE, HTPASSWD_MOUNT_DIR, TLS_MOUNT_DIR } from './config.js';
import { HTPASSWD_SECRET_KEY, TLS_CERT_KEY, TLS_KEY_KEY } from './credentials.js';
import { HTTP_SECRET_ENV, HTTP_SECRET_KEY } from './http-secret.js';
import { storageDriverFor } from './storage/index.js';

export const VOLUME_CONFIG = 'config';
export const VOLUME_HTPASSWD = 'htpasswd';
export const VOLUME_CERTS = 'certs';

export interface PodVolumes {
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
  env: V1EnvVar[];
}

/** Volumes, mounts and env of the registry pod: exactly the paths the config file names. */
export function buildPodVolumes(spec: RegistrySpec, names: RegistryChildNames): PodVolumes {
  const storage = storageDriverFor(spec).podParts(spec, names);
  const volumes: V1Volume[] = [{ name: VOLUME_CONFIG, configMap: { name: names.configMap } }, ...storage.volumes];
  const mounts: V1VolumeMount[] = [{ name: VOLUME_CONFIG, mountPath: CONFIG_MOUNT_DIR, readOnly: true }, ...storage.mounts];
  const env: V1EnvVar[] = [
    { name: HTTP_SECRET_ENV, valueFrom: { secretKeyRef: { name: names.httpSecret, key: HTTP_SECRET_KEY } } },
    ...storage.env,
  ];

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
