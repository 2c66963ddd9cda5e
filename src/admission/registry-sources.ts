import type { RegistryAdmissionSource } from './policy.js';

/** The fields of a Registry object admission reads; the cache holds the apiserver's JSON. */
export interface RegistryForAdmission {
  metadata?: { name?: string; namespace?: string };
  spec?: { hostnames?: string[]; admission?: { allowed?: boolean }; service?: { port?: number } };
  status?: { endpoint?: string };
}

const DEFAULT_SERVICE_PORT = 5000;

/**
 * Every Registry with `admission.allowed` (the default) as an allow-list source: its hostnames
 * and its in-cluster endpoint. The endpoint is `status.endpoint` without its scheme (what the
 * Registry controller reports), else `<name>.<namespace>.svc:<port>` from the spec, so a new
 * Registry's images are admissible before its first status write. Sorted, for stable logs.
 */
export function registryAdmissionSources(registries: readonly RegistryForAdmission[]): RegistryAdmissionSource[] {
  const sources: RegistryAdmissionSource[] = [];
  for (const registry of registries) {
    const name = registry.metadata?.name;
    const namespace = registry.metadata?.namespace;
    if (!name || !namespace || registry.spec?.admission?.allowed === false) continue;
    const fromStatus = registry.status?.endpoint?.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
    const endpoint = fromStatus || `${name}.${namespace}.svc:${registry.spec?.service?.port ?? DEFAULT_SERVICE_PORT}`;
    sources.push({ registry: `${namespace}/${name}`, hostnames: [...(registry.spec?.hostnames ?? [])], endpoint });
  }
  return sources.sort((a, b) => a.registry.localeCompare(b.registry));
}
