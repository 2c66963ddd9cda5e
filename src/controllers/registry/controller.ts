import type { KubernetesObject } from '@kubernetes/client-node';
import { defineController, ownerKeys, type ControllerDefinition } from '../../runtime/controller.js';
import { ReferenceIndex } from '../../runtime/reference-index.js';
import { RESOURCES } from '../../runtime/resources.js';
import { HostnameClaims } from './admission-sources.js';
import { RejectedApplies } from './child-apply.js';
import { probeRegistryV2, resolveThroughService } from './endpoint-probe.js';
import { reconcileRegistry, type RegistryReconcilerOptions } from './reconcile.js';

export const REGISTRY_CONTROLLER_NAME = 'registry';

export type RegistryControllerOptions = Omit<RegistryReconcilerOptions, 'onSecretsReferenced' | 'rejectedApplies' | 'hostnameClaims'> & { workers?: number };

/**
 * The Registry controller. By default the `/v2/` check goes to the Service URL; pass
 * `{ resolveEndpoint: undefined }` to base Ready on Deployment availability alone (an operator
 * running outside the cluster cannot resolve Service names).
 */
export function createRegistryController(options: RegistryControllerOptions = {}): ControllerDefinition {
  // User Secrets (htpasswd, TLS, S3 credentials) carry no label of ours: their events find the Registries through this.
  const index = new ReferenceIndex();
  const hostnameClaims = new HostnameClaims();
  const reconcilerOptions: RegistryReconcilerOptions = {
    resolveEndpoint: 'resolveEndpoint' in options ? options.resolveEndpoint : resolveThroughService,
    probe: options.probe ?? ((url) => probeRegistryV2(url)),
    ...(options.probeIntervalMs !== undefined ? { probeIntervalMs: options.probeIntervalMs } : {}),
    onSecretsReferenced: (key, names) => index.set(key, names),
    rejectedApplies: new RejectedApplies(),
    hostnameClaims,
    ...(options.admissionSources && { admissionSources: options.admissionSources }),
  };
  return defineController({
    name: REGISTRY_CONTROLLER_NAME,
    forResource: RESOURCES.registry,
    owns: [RESOURCES.deployment, RESOURCES.service, RESOURCES.configMap, RESOURCES.persistentVolumeClaim],
    watches: [
      // A Registry claiming a hostname another one claims (or claimed) changes the other's
      // AdmissionSources condition: a conflict starts or ends for both.
      { resource: RESOURCES.registry, mapToKeys: (registry: KubernetesObject) => hostnameClaims.othersClaiming(registry) },
      {
        // Every Secret of the watched namespaces, unfiltered: user Secrets carry no label of
        // ours. This informer is also the cache reconcile reads Secrets from (ours included).
        resource: RESOURCES.secret,
        mapToKeys: (secret: KubernetesObject) => {
          const namespace = secret.metadata?.namespace ?? '';
          const owners = ownerKeys(secret, RESOURCES.registry);
          return [...new Set([...owners, ...index.referrersOf(namespace, secret.metadata?.name ?? '')])];
        },
      },
    ],
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    reconcile: (request, ctx) => reconcileRegistry(request, ctx, reconcilerOptions),
  });
}
