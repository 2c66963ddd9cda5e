import type { V1Deployment, V1Probe, V1ResourceRequirements } from '@kubernetes/client-node';
import type { RegistrySpec } from '../api/registry.js';
import {
  childMetadata,
  CONFIG_HASH_ANNOTATION,
  REGISTRY_CONTAINER_PORT,
  registryLabels,
  registrySelectorLabels,
  type RegistryChildNames,
  type RegistryIdentity,
} from './children.js';
import { CONFIG_FILE_KEY, CONFIG_MOUNT_DIR } from './config.js';
import { buildPodVolumes } from './pod-volumes.js';
import { storageDriverFor } from './storage/index.js';

export const REGISTRY_CONTAINER_NAME = 'registry';
/** Non-root identity of the registry process; the storage volume is group-owned via fsGroup. */
export const REGISTRY_UID = 1000;
/** The command every registry image (distribution `registry:2.x`) ships on its PATH. */
export const REGISTRY_COMMAND = ['registry', 'serve', `${CONFIG_MOUNT_DIR}/${CONFIG_FILE_KEY}`];

export interface DeploymentInputs {
  names: RegistryChildNames;
  /** From computeConfigHash: config text plus mounted Secrets' contents. */
  configHash: string;
}

/*
 * Probes: GET /v2/ answers 401 once htpasswd auth is on, and the kubelet counts 401 as a
 * failure, so the probes cannot use it. distribution serves `GET /` with 200 before any auth
 * (its `alive("/")` handler), wrapped by its health handler, which answers 503 while the
 * storage-driver health check (`health.storagedriver` in the config) is failing. So readiness
 * is an httpGet on `/`: no credentials in the pod spec, and a registry with broken storage
 * leaves the Service. Liveness is only a TCP check: restarting a process whose storage backend
 * is down would not fix the storage, and would drop the pulls that still work from cache.
 */
function probes(spec: RegistrySpec): { readiness: V1Probe; liveness: V1Probe } {
  const scheme = spec.tls ? 'HTTPS' : 'HTTP';
  return {
    readiness: {
      httpGet: { path: '/', port: REGISTRY_CONTAINER_PORT, scheme },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    liveness: {
      tcpSocket: { port: REGISTRY_CONTAINER_PORT },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 6,
    },
  };
}

function resources(spec: RegistrySpec): V1ResourceRequirements | undefined {
  const r = spec.resources;
  if (!r) return undefined;
  return {
    ...(r.requests ? { requests: { ...r.requests } } : {}),
    ...(r.limits ? { limits: { ...r.limits } } : {}),
  };
}

export function buildDeployment(owner: RegistryIdentity, spec: RegistrySpec, inputs: DeploymentInputs): V1Deployment {
  const { volumes, mounts, env } = buildPodVolumes(spec, inputs.names);
  const { readiness, liveness } = probes(spec);
  const containerResources = resources(spec);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(owner, inputs.names.deployment),
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: registrySelectorLabels(owner.name) },
      // A ReadWriteOnce volume attaches to one node: during a rolling update the new pod would
      // wait for the old one's volume forever (and two writers on one filesystem store would
      // race). Recreate stops the old pod first; other storage rolls without downtime.
      strategy: storageDriverFor(spec).singleWriter(spec)
        ? { type: 'Recreate' }
        : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: registryLabels(owner.name),
          annotations: { [CONFIG_HASH_ANNOTATION]: inputs.configHash },
        },
        spec: {
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: REGISTRY_UID,
            runAsGroup: REGISTRY_UID,
            fsGroup: REGISTRY_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: REGISTRY_CONTAINER_NAME,
              image: spec.image,
              command: [...REGISTRY_COMMAND],
              ports: [{ name: 'registry', containerPort: REGISTRY_CONTAINER_PORT, protocol: 'TCP' }],
              env,
              volumeMounts: mounts,
              readinessProbe: readiness,
              livenessProbe: liveness,
              ...(containerResources ? { resources: containerResources } : {}),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
          volumes,
        },
      },
    },
  };
}
