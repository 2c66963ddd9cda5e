/**
 * What Registries add to the allow list, scoped so that no tenant can widen admission beyond its
 * own namespace (docs/security.md):
 * - a Registry's in-cluster endpoint (`<name>.<namespace>.svc:<port>`, derived from its name,
 *   namespace and spec, never from status) is admissible in its own namespace, and everywhere only
 *   when the admin lists its namespace in `admission.registries.clusterWideNamespaces`;
 * - a `spec.hostnames` entry counts only when an `admission.registries.hostnames` pattern maps it
 *   to the Registry's namespace, is never a public registry, and is claimed by no other Registry
 *   (a conflict admits neither: "first come" would let a squatter claim a name early).
 * Pure: the same function feeds the webhook's allow list and the Registry's AdmissionSources
 * condition, so what a Registry reports is exactly what admission does.
 */
import { registryEndpoint } from '../managed-registry/service.js';
import type { RegistrySourcesConfig } from './admission-config.js';
import { hostPatternMatches } from '../registry/host-pattern.js';
import { isPublicRegistryHost } from './public-registries.js';

/** The fields of a Registry object admission reads; the cache holds the apiserver's JSON. */
export interface RegistryForAdmission {
  metadata?: { name?: string; namespace?: string };
  spec?: { hostnames?: string[]; admission?: { allowed?: boolean }; service?: { port?: number } };
  /**
   * Read for one thing only: a NameConflict (its Service is someone else's) makes the Registry
   * inadmissible. Status can only take admissibility away here, never give it.
   */
  status?: { conditions?: Array<{ type?: string; status?: string; reason?: string }>; [field: string]: unknown };
}

/** A Registry whose children's names are taken by objects it does not control serves nothing of its own at its endpoint. */
function hasNameConflict(registry: RegistryForAdmission): boolean {
  return registry.status?.conditions?.some((c) => c.type === 'Degraded' && c.status === 'True' && c.reason === 'NameConflict') ?? false;
}

export type HostnameRefusal = 'NotMapped' | 'PublicRegistry' | 'Conflict';

export interface IgnoredHostname {
  hostname: string;
  reason: HostnameRefusal;
  /** Says why and what to change; names only what the Registry's own namespace may know. */
  message: string;
}

/** What one Registry with `admission.allowed` adds to the allow list, and where. */
export interface RegistryAdmissionSource {
  /** `namespace/name` of the Registry, for messages. */
  registry: string;
  namespace: string;
  /** True when its namespace is in clusterWideNamespaces: admissible in every namespace. */
  clusterWide: boolean;
  /** The in-cluster endpoint, `<service>.<namespace>.svc:<port>`. */
  endpoint: string;
  /** The hostnames that count for admission. */
  hostnames: string[];
  ignoredHostnames: IgnoredHostname[];
}

const NO_SOURCES_CONFIG: RegistrySourcesConfig = { clusterWideNamespaces: [], hostnames: [] };

export function registryAdmissionSources(
  registries: readonly RegistryForAdmission[],
  config: RegistrySourcesConfig = NO_SOURCES_CONFIG,
): RegistryAdmissionSource[] {
  const clusterWide = new Set(config.clusterWideNamespaces);
  const sources: RegistryAdmissionSource[] = [];
  const claims = new Map<string, RegistryAdmissionSource[]>();
  for (const registry of registries) {
    const name = registry.metadata?.name;
    const namespace = registry.metadata?.namespace;
    if (!name || !namespace || registry.spec?.admission?.allowed === false || hasNameConflict(registry)) continue;
    const source: RegistryAdmissionSource = {
      registry: `${namespace}/${name}`,
      namespace,
      clusterWide: clusterWide.has(namespace),
      endpoint: registryEndpoint({ name, namespace }, registry.spec),
      hostnames: [],
      ignoredHostnames: [],
    };
    for (const hostname of new Set((registry.spec?.hostnames ?? []).map((h) => h.toLowerCase()))) {
      const refusal = refuseHostname(hostname, namespace, config);
      if (refusal) {
        source.ignoredHostnames.push(refusal);
        continue;
      }
      claims.set(hostname, [...(claims.get(hostname) ?? []), source]);
      source.hostnames.push(hostname);
    }
    sources.push(source);
  }
  for (const [key, claimants] of claims) {
    if (claimants.length < 2) continue;
    for (const source of claimants) {
      const hostname = key;
      source.hostnames = source.hostnames.filter((h) => h !== key);
      const others = claimants.filter((c) => c !== source).map((c) => (c.namespace === source.namespace ? `Registry ${c.registry}` : 'a Registry in another namespace'));
      source.ignoredHostnames.push({
        hostname,
        reason: 'Conflict',
        message: `hostname ${hostname} is also claimed by ${[...new Set(others)].join(', ')}; neither is admitted for it until only one Registry lists it in spec.hostnames.`,
      });
    }
  }
  return sources.sort((a, b) => a.registry.localeCompare(b.registry));
}

function refuseHostname(hostname: string, namespace: string, config: RegistrySourcesConfig): IgnoredHostname | undefined {
  if (isPublicRegistryHost(hostname)) {
    return {
      hostname,
      reason: 'PublicRegistry',
      message: `hostname ${hostname} is a public registry: a Registry can never make it admissible; only admission.allowedRegistries in the operator configuration can.`,
    };
  }
  if (!config.hostnames.some((rule) => rule.namespace === namespace && hostPatternMatches(rule.pattern, hostname))) {
    return {
      hostname,
      reason: 'NotMapped',
      message:
        `hostname ${hostname} is ignored for admission: no admission.registries.hostnames pattern in the operator configuration maps it to namespace ${namespace}; ` +
        `ask the cluster admin to add {pattern: ${hostname}, namespace: ${namespace}}.`,
    };
  }
  return undefined;
}
