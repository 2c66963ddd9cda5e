import type { KubernetesObject } from '@kubernetes/client-node';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { RetentionPolicy } from '../../api/retention-policy.js';
import { DEFAULT_WINDOW_TIMING, type WindowTiming } from '../../gc/window-decision.js';
import { defineController, ownerKeys, type ControllerDefinition } from '../../runtime/controller.js';
import { MANAGED_BY_SELECTOR, RESOURCES } from '../../runtime/resources.js';
import type { RegistryMaintenanceLocks } from '../../managed-registry/maintenance-locks.js';
import { readJobPodLogs, resolveReplicasByPodIp, type JobOutputReader, type ReplicaResolver } from './cluster-reads.js';
import { GarbageCollectionMetrics } from './metrics.js';
import { reconcileGarbageCollection } from './reconcile.js';

export const REGISTRY_GC_CONTROLLER_NAME = 'registry-gc';

export interface RegistryGcControllerOptions {
  /** The operator's one instance, shared with the RetentionPolicy controller. */
  locks: RegistryMaintenanceLocks;
  /** Where each replica answers the write probe. Default: every registry Pod's IP on port 5000. */
  resolveReplicas?: ReplicaResolver;
  /** How the Job's output is read. Default: its pod's log. */
  readJobOutput?: JobOutputReader;
  /** The registry /metrics serves (RuntimeMetrics.registry); default a private one. */
  metricsRegistry?: MetricsRegistry;
  /** Retry and grace periods of the window; tests shorten them. */
  timing?: Partial<WindowTiming>;
  workers?: number;
}

/**
 * Garbage-collection windows of managed Registries (spec.garbageCollection): the state machine of
 * src/gc/window-decision.ts recorded in status.garbageCollectionWindow. It writes only that,
 * status.lastGarbageCollection and status.nextGarbageCollection; the Registry controller renders
 * the read-only config from the window and writes the rest.
 */
export function createRegistryGcController(options: RegistryGcControllerOptions): ControllerDefinition {
  const reconcilerOptions = {
    locks: options.locks,
    resolveReplicas: options.resolveReplicas ?? resolveReplicasByPodIp,
    readJobOutput: options.readJobOutput ?? readJobPodLogs,
    metrics: new GarbageCollectionMetrics(options.metricsRegistry),
    timing: { ...DEFAULT_WINDOW_TIMING, ...options.timing },
  };
  return defineController({
    name: REGISTRY_GC_CONTROLLER_NAME,
    forResource: RESOURCES.registry,
    owns: [RESOURCES.job],
    watches: [
      // Rollouts of the registry (read-only in, read-only out) wake the window at once.
      { resource: RESOURCES.deployment, labelSelector: MANAGED_BY_SELECTOR, mapToKeys: (d) => ownerKeys(d, RESOURCES.registry) },
      // A retention run finishing (Running → False) lets a waiting window go on.
      {
        resource: RESOURCES.retentionPolicy,
        mapToKeys: (policy: KubernetesObject) => {
          const ref = (policy as RetentionPolicy & KubernetesObject).spec?.registryRef?.name;
          return ref ? [`${policy.metadata?.namespace}/${ref}`] : [];
        },
      },
    ],
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    reconcile: (request, ctx) => reconcileGarbageCollection(request, ctx, reconcilerOptions),
  });
}

export type { JobOutputReader, ReplicaResolver, ReplicaTargets } from './cluster-reads.js';
