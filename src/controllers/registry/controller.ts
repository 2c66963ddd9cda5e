import type { KubernetesObject } from '@kubernetes/client-node';
import { defineController, ownerKeys, type ControllerDefinition } from '../../runtime/controller.js';
import { RESOURCES } from '../../runtime/resources.js';
import { RejectedApplies } from './child-apply.js';
import { probeRegistryV2, resolveThroughService } from './endpoint-probe.js';
import { reconcileRegistry, type RegistryReconcilerOptions } from './reconcile.js';

export const REGISTRY_CONTROLLER_NAME = 'registry';

/**
 * Which Registries reference which user Secrets (htpasswd, TLS, S3 credentials). Those Secrets
 * carry no label of ours, so their events are mapped back through this index, which every
 * reconcile refreshes. One per controller instance: no module state.
 */
export class SecretReferenceIndex {
  private readonly byRegistry = new Map<string, { namespace: string; names: Set<string> }>();

  set(registryKey: string, secretNames: string[]): void {
    if (secretNames.length === 0) {
      this.byRegistry.delete(registryKey);
      return;
    }
    const namespace = registryKey.slice(0, registryKey.indexOf('/'));
    this.byRegistry.set(registryKey, { namespace, names: new Set(secretNames) });
  }

  registriesUsing(namespace: string, secretName: string): string[] {
    const keys: string[] = [];
    for (const [key, ref] of this.byRegistry) if (ref.namespace === namespace && ref.names.has(secretName)) keys.push(key);
    return keys;
  }
}

export type RegistryControllerOptions = Omit<RegistryReconcilerOptions, 'onSecretsReferenced' | 'rejectedApplies'> & { workers?: number };

/**
 * The Registry controller. By default the `/v2/` check goes to the Service URL; pass
 * `{ resolveEndpoint: undefined }` to base Ready on Deployment availability alone (an operator
 * running outside the cluster cannot resolve Service names).
 */
export function createRegistryController(options: RegistryControllerOptions = {}): ControllerDefinition {
  const index = new SecretReferenceIndex();
  const reconcilerOptions: RegistryReconcilerOptions = {
    resolveEndpoint: 'resolveEndpoint' in options ? options.resolveEndpoint : resolveThroughService,
    probe: options.probe ?? ((url) => probeRegistryV2(url)),
    ...(options.probeIntervalMs !== undefined ? { probeIntervalMs: options.probeIntervalMs } : {}),
    onSecretsReferenced: (key, names) => index.set(key, names),
    rejectedApplies: new RejectedApplies(),
  };
  return defineController({
    name: REGISTRY_CONTROLLER_NAME,
    forResource: RESOURCES.registry,
    owns: [RESOURCES.deployment, RESOURCES.service, RESOURCES.configMap, RESOURCES.persistentVolumeClaim],
    watches: [
      {
        // Every Secret of the watched namespaces, unfiltered: user Secrets carry no label of
        // ours. This informer is also the cache reconcile reads Secrets from (ours included).
        resource: RESOURCES.secret,
        mapToKeys: (secret: KubernetesObject) => {
          const namespace = secret.metadata?.namespace ?? '';
          const owners = ownerKeys(secret, RESOURCES.registry);
          return [...new Set([...owners, ...index.registriesUsing(namespace, secret.metadata?.name ?? '')])];
        },
      },
    ],
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    reconcile: (request, ctx) => reconcileRegistry(request, ctx, reconcilerOptions),
  });
}
