import type { KubernetesObject } from '@kubernetes/client-node';
import { defineController, type ControllerDefinition } from '../../runtime/controller.js';
import { RESOURCES } from '../../runtime/resources.js';
import { HostnameClaims } from './admission-sources.js';
import { RejectedApplies } from './child-apply.js';
import { probeRegistryV2, resolveThroughService } from './endpoint-probe.js';
import { reconcileRegistry, type RegistryReconcilerOptions } from './reconcile.js';
import { upstreamProbe } from './upstream-probe.js';

export const REGISTRY_CONTROLLER_NAME = 'registry';

export type RegistryControllerOptions = Omit<RegistryReconcilerOptions, 'rejectedApplies' | 'hostnameClaims'> & { workers?: number };

/**
 * The Registry controller. By default the `/v2/` check goes to the Service URL; pass
 * `{ resolveEndpoint: undefined }` to base Ready on Deployment availability alone (an operator
 * running outside the cluster cannot resolve Service names).
 *
 * Secrets are not watched (runtime/named-secrets.ts): reconcile GETs the ones the spec names, and
 * a changed Secret is seen at the next reconcile: the informers' resync at the latest.
 */
export function createRegistryController(options: RegistryControllerOptions = {}): ControllerDefinition {
  const hostnameClaims = new HostnameClaims();
  const reconcilerOptions: RegistryReconcilerOptions = {
    resolveEndpoint: 'resolveEndpoint' in options ? options.resolveEndpoint : resolveThroughService,
    probe: options.probe ?? ((url) => probeRegistryV2(url)),
    ...(options.probeIntervalMs !== undefined ? { probeIntervalMs: options.probeIntervalMs } : {}),
    rejectedApplies: new RejectedApplies(),
    hostnameClaims,
    ...(options.admissionSources && { admissionSources: options.admissionSources }),
    ...(options.defaultImage !== undefined && { defaultImage: options.defaultImage }),
    ...(options.mirrorPolicy && { mirrorPolicy: options.mirrorPolicy }),
    ...(options.pullTracking && { pullTracking: options.pullTracking }),
    ...(options.pullCanary && { pullCanary: options.pullCanary }),
    probeUpstream: 'probeUpstream' in options ? options.probeUpstream : upstreamProbe(),
  };
  return defineController({
    name: REGISTRY_CONTROLLER_NAME,
    forResource: RESOURCES.registry,
    owns: [RESOURCES.deployment, RESOURCES.service, RESOURCES.configMap, RESOURCES.persistentVolumeClaim, RESOURCES.podDisruptionBudget],
    watches: [
      // A Registry claiming a hostname another one claims (or claimed) changes the other's
      // AdmissionSources condition: a conflict starts or ends for both.
      { resource: RESOURCES.registry, mapToKeys: (registry: KubernetesObject) => hostnameClaims.othersClaiming(registry) },
    ],
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    reconcile: (request, ctx) => reconcileRegistry(request, ctx, reconcilerOptions),
  });
}
