/**
 * The AdmissionSources condition of a Registry: what this Registry adds to the admission allow
 * list, and which of its hostnames do not count and why, computed by the very function the
 * webhook uses (admission/registry-sources.ts), so the condition says exactly what admission does.
 * A policy decision, not a refusal at apply: the admin's configuration can change later.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { RegistrySourcesConfig } from '../../admission/admission-config.js';
import { registryAdmissionSources, type RegistryForAdmission } from '../../admission/registry-sources.js';
import type { ConditionInput } from '../../runtime/conditions.js';

export const CONDITION_ADMISSION_SOURCES = 'AdmissionSources';

const REASONS = { NotMapped: 'HostnamesIgnored', PublicRegistry: 'PublicHostname', Conflict: 'HostnameConflict' } as const;

export function admissionSourcesCondition(
  registry: RegistryForAdmission,
  allRegistries: readonly RegistryForAdmission[],
  config: RegistrySourcesConfig | undefined,
): ConditionInput {
  const type = CONDITION_ADMISSION_SOURCES;
  const key = `${registry.metadata?.namespace}/${registry.metadata?.name}`;
  const source = registryAdmissionSources(allRegistries, config).find((s) => s.registry === key);
  if (!source) {
    return { type, status: 'False', reason: 'AdmissionDisabled', message: 'spec.admission.allowed is false: admission does not admit images from this Registry.' };
  }
  const where = source.clusterWide
    ? 'in every namespace (its namespace is in admission.registries.clusterWideNamespaces)'
    : `in namespace ${source.namespace} only (admission.registries.clusterWideNamespaces of the operator configuration opens it to every namespace)`;
  const admitted = [source.endpoint, ...source.hostnames].join(', ');
  const [first] = source.ignoredHostnames;
  if (!first) return { type, status: 'True', reason: 'Admitted', message: `Images from ${admitted} are admitted ${where}.` };
  return {
    type,
    status: 'False',
    reason: REASONS[first.reason],
    message: `${source.ignoredHostnames.map((i) => i.message).join(' ')} Images from ${admitted} are admitted ${where}.`,
  };
}

/**
 * Which Registries claim which hostnames, so an event of one Registry wakes the others that
 * claim a name it claims or claimed (a conflict starts or ends). Refreshed by every reconcile.
 */
export class HostnameClaims {
  private readonly byRegistry = new Map<string, readonly string[]>();

  set(registryKey: string, hostnames: readonly string[] | undefined): void {
    const names = (hostnames ?? []).map((h) => h.toLowerCase());
    if (names.length === 0) this.byRegistry.delete(registryKey);
    else this.byRegistry.set(registryKey, names);
  }

  /** Keys of the other Registries that claim a hostname `registry` lists. */
  othersClaiming(registry: KubernetesObject & RegistryForAdmission): string[] {
    const self = `${registry.metadata?.namespace}/${registry.metadata?.name}`;
    const names = new Set((registry.spec?.hostnames ?? []).map((h) => h.toLowerCase()));
    if (names.size === 0) return [];
    const keys: string[] = [];
    for (const [key, claimed] of this.byRegistry) if (key !== self && claimed.some((h) => names.has(h))) keys.push(key);
    return keys;
  }
}
