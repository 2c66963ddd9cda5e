import { registryEndpoint } from '../managed-registry/service.js';
import type { RegistryAdmissionSource } from './policy.js';

/** The fields of a Registry object admission reads; the cache holds the apiserver's JSON. */
export interface RegistryForAdmission {
  metadata?: { name?: string; namespace?: string };
  spec?: { hostnames?: string[]; admission?: { allowed?: boolean }; service?: { port?: number } };
}

/**
 * Every Registry with `admission.allowed` (the default) as an allow-list source: its hostnames
 * and its in-cluster endpoint, derived from the Registry's name, namespace and spec by the same
 * rule the Registry controller uses (never from status, which a tenant may be able to write),
 * so a new Registry's images are admissible before its first status write. Sorted, for stable logs.
 */
export function registryAdmissionSources(registries: readonly RegistryForAdmission[]): RegistryAdmissionSource[] {
  const sources: RegistryAdmissionSource[] = [];
  for (const registry of registries) {
    const name = registry.metadata?.name;
    const namespace = registry.metadata?.namespace;
    if (!name || !namespace || registry.spec?.admission?.allowed === false) continue;
    const endpoint = registryEndpoint({ name, namespace }, registry.spec);
    sources.push({ registry: `${namespace}/${name}`, hostnames: [...(registry.spec?.hostnames ?? [])], endpoint });
  }
  return sources.sort((a, b) => a.registry.localeCompare(b.registry));
}
