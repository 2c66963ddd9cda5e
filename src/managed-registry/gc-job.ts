/**
 * The garbage-collect Job of a window: the registry's own pod, as the Registry controller
 * builds it (same image, config ConfigMap, volumes, env, security context), with the command
 * swapped for the GC script. Building from buildDeployment keeps the two from drifting apart.
 */
import type { V1Affinity, V1Job } from '@kubernetes/client-node';
import type { RegistrySpec, ResolvedRegistrySpec } from '../api/registry.js';
import { LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY_VALUE, registryChildNames, registryOwnerReference, type RegistryIdentity } from './children.js';
import { CONFIG_FILE_KEY, CONFIG_MOUNT_DIR } from './config.js';
import { buildDeployment } from './deployment.js';
import { GC_SCRIPT, GC_SCRIPT_NAME } from './gc-job-script.js';
import { storageDriverFor } from './storage/index.js';

export const GC_CONTAINER_NAME = 'garbage-collect';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
/**
 * Not the registry pods' `app.kubernetes.io/name=registry`: the Service selects on name and
 * instance, and must never send pulls to the GC pod.
 */
export const GC_APP_NAME = 'registry-garbage-collection';
/** A GC pod asked to stop gets this long before SIGKILL: the window's deadline must hold. */
export const GC_TERMINATION_GRACE_SECONDS = 10;

export interface GarbageCollectJobInputs {
  owner: RegistryIdentity;
  /** Its image is the one the registry runs: the Job must read the storage the way the registry writes it. */
  spec: ResolvedRegistrySpec;
  jobName: string;
  deleteUntagged: boolean;
  /** Bounds the Job by the window's deadline even when the operator is down (the Job controller enforces it). */
  activeDeadlineSeconds: number;
  /** Node of the running registry pod; set for a ReadWriteOnce PVC, which only that node can mount. */
  nodeName?: string;
}

export function gcJobLabels(registryName: string): Record<string, string> {
  return {
    [LABEL_NAME]: GC_APP_NAME,
    [LABEL_INSTANCE]: registryName,
    [LABEL_COMPONENT]: 'garbage-collection',
    [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
  };
}

/**
 * A Job name unique to the window (same start → same name, so creating it twice after a
 * restart is a harmless AlreadyExists) and at most 63 characters, because the Job controller
 * copies it into a pod label.
 */
export function gcJobName(registryName: string, windowStartedAt: Date): string {
  const suffix = `-gc-${Math.floor(windowStartedAt.getTime() / 1000).toString(36)}`;
  return `${registryName.slice(0, 63 - suffix.length).replace(/[-.]+$/, '')}${suffix}`;
}

/** Pins the pod to one node the way DaemonSets do: by node name, through the scheduler. */
function pinnedTo(nodeName: string): V1Affinity {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
      },
    },
  };
}

export function buildGarbageCollectJob(inputs: GarbageCollectJobInputs): V1Job {
  const { owner, spec } = inputs;
  const names = registryChildNames(owner.name);
  const registryPod = buildDeployment(owner, spec, { names, configHash: '' }).spec?.template.spec;
  const registryContainer = registryPod?.containers[0];
  if (!registryPod || !registryContainer) throw new Error('buildDeployment returned no container');
  const driver = storageDriverFor(spec);
  const blobsDir = driver.gcBlobsDir(spec) ?? '';
  const flags = inputs.deleteUntagged ? ['--delete-untagged'] : [];
  const pin = inputs.nodeName && driver.singleWriter(spec) ? pinnedTo(inputs.nodeName) : undefined;
  const labels = gcJobLabels(owner.name);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: inputs.jobName, namespace: owner.namespace, labels, ownerReferences: [registryOwnerReference(owner)] },
    spec: {
      // garbage-collect is not retried inside a window: a failure is reported and the window ends.
      backoffLimit: 0,
      activeDeadlineSeconds: Math.max(1, Math.floor(inputs.activeDeadlineSeconds)),
      template: {
        metadata: { labels },
        spec: {
          ...registryPod,
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: GC_TERMINATION_GRACE_SECONDS,
          ...(pin ? { affinity: pin } : {}),
          containers: [
            {
              name: GC_CONTAINER_NAME,
              image: spec.image,
              command: ['/bin/sh', '-c', GC_SCRIPT, GC_SCRIPT_NAME, `${CONFIG_MOUNT_DIR}/${CONFIG_FILE_KEY}`, blobsDir, ...flags],
              ...(registryContainer.env ? { env: registryContainer.env } : {}),
              ...(registryContainer.volumeMounts ? { volumeMounts: registryContainer.volumeMounts } : {}),
              ...(registryContainer.resources ? { resources: registryContainer.resources } : {}),
              ...(registryContainer.securityContext ? { securityContext: registryContainer.securityContext } : {}),
            },
          ],
        },
      },
    },
  };
}

/**
 * Why a Job cannot collect this registry's storage, or undefined when it can. The Job must see
 * the very bytes the registry serves; each storage driver says whether it can.
 */
export function unsupportedStorageReason(spec: Pick<RegistrySpec, 'storage'>): string | undefined {
  return storageDriverFor(spec).garbageCollectionUnsupported(spec as RegistrySpec);
}
