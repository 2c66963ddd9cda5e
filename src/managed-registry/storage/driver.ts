/**
 * A storage driver: everything the operator does differently for one `spec.storage` kind. Its
 * schema lives in `src/api/registry.ts` (types first); this file says how the rest of the
 * operator sees a driver, and `storage/index.ts` picks the one a spec names. Adding a driver
 * (gcs, azure …) is the schema plus one file beside this one, listed in `storage/index.ts`.
 */
import type { V1EnvVar, V1PersistentVolumeClaim, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { RegistrySpec } from '../../api/registry.js';
import type { RegistryChildNames, RegistryIdentity } from '../children.js';

/** A user Secret the driver reads, the keys it needs, and how to create it. */
export interface SecretRequirement {
  name: string;
  /** The spec field naming it, e.g. `spec.storage.s3.secretRef.name`. */
  purpose: string;
  keys: string[];
  howTo: string;
}

/** Volumes, mounts and env the registry container needs for its storage. */
export interface DriverPodParts {
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
  env: V1EnvVar[];
}

export interface StorageDriver {
  /** The `spec.storage` key, e.g. `pvc`. */
  kind: string;
  /** distribution's `storage.<driver>` block of config.yml (no credentials: those come as env). */
  configBlock(spec: RegistrySpec): Record<string, unknown>;
  podParts(spec: RegistrySpec, names: RegistryChildNames): DriverPodParts;
  secretRequirements(spec: RegistrySpec): SecretRequirement[];
  /** Messages for combinations the schema cannot refuse (e.g. replicas against access modes). */
  problems(spec: RegistrySpec): string[];
  /** Why a garbage-collect Job cannot reach this storage, or undefined when it can. */
  garbageCollectionUnsupported(spec: RegistrySpec): string | undefined;
  /** Where the GC Job measures blob bytes on its own filesystem; undefined when it cannot. */
  gcBlobsDir(spec: RegistrySpec): string | undefined;
  /** True when only one node can mount the storage read-write (pods roll by Recreate). */
  singleWriter(spec: RegistrySpec): boolean;
  /** A child object the driver owns (the PVC), or undefined. */
  buildChild?(owner: RegistryIdentity, names: RegistryChildNames, spec: RegistrySpec): V1PersistentVolumeClaim | undefined;
}

/** Where distribution's filesystem driver is rooted in the pod (pvc and emptyDir). */
export const STORAGE_MOUNT_DIR = '/var/lib/registry';
/** Where distribution's filesystem driver keeps blob data under its root directory. */
export const BLOBS_SUBPATH = 'docker/registry/v2/blobs';
export const VOLUME_DATA = 'data';
