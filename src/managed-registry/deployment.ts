import type { V1Deployment, V1EnvVar, V1Probe, V1ResourceRequirements, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import { distributionMajorVersion } from './image-advisory.js';
import type { RegistrySpec, ResolvedRegistrySpec } from '../api/registry.js';
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
import { proxyEnv } from './mirror.js';
import { NOTIFICATIONS_ENDPOINTS_KEY, NOTIFICATIONS_ENV } from './notifications.js';

export const REGISTRY_CONTAINER_NAME = 'registry';
/** Non-root identity of the registry process; the storage volume is group-owned via fsGroup. */
export const REGISTRY_UID = 1000;
/** The command every registry image (distribution `registry:2.x`) ships on its PATH. */
export const REGISTRY_COMMAND = ['registry', 'serve', `${CONFIG_MOUNT_DIR}/${CONFIG_FILE_KEY}`];

export interface DeploymentInputs {
  names: RegistryChildNames;
  /** From computeConfigHash: config text plus mounted Secrets' contents. */
  configHash: string;
  /** Pull tracking on: the registry's notification endpoints come from its http Secret (notifications.ts). */
  pullTracking?: boolean;
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

/**
 * Env the image's distribution version needs: 3.x before 3.1.0 exports OpenTelemetry traces to
 * localhost:4318 unless told not to (every request then logs a failed export); harmless later.
 */
function versionEnv(image: string): V1EnvVar[] {
  const major = distributionMajorVersion(image);
  return major !== undefined && major >= 3 ? [{ name: 'OTEL_TRACES_EXPORTER', value: 'none' }] : [];
}

/**
 * Several replicas spread over nodes when they can (ScheduleAnyway: a one-node cluster still
 * schedules them all), so a node's loss leaves some serving. One replica needs no rule.
 */
function spread(owner: RegistryIdentity, spec: RegistrySpec): V1TopologySpreadConstraint[] | undefined {
  if (spec.replicas <= 1) return undefined;
  return [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: registrySelectorLabels(owner.name) } }];
}

export function buildDeployment(owner: RegistryIdentity, spec: ResolvedRegistrySpec, inputs: DeploymentInputs): V1Deployment {
  const { volumes, mounts, env: volumeEnv } = buildPodVolumes(spec, inputs.names);
  const env = [...volumeEnv, ...versionEnv(spec.image), ...proxyEnv(spec, inputs.names.httpSecret)];
  if (inputs.pullTracking) env.push({ name: NOTIFICATIONS_ENV, valueFrom: { secretKeyRef: { name: inputs.names.httpSecret, key: NOTIFICATIONS_ENDPOINTS_KEY } } });
  const spreadConstraints = spread(owner, spec);
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
          ...(spreadConstraints && { topologySpreadConstraints: spreadConstraints }),
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
              // A registry that dies at start (a panic, a bad config key) leaves the end of its log
              // as the termination message, which the Registry's status then quotes.
              terminationMessagePolicy: 'FallbackToLogsOnError',
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
