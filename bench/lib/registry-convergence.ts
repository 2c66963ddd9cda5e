import type { AdminClient, KubeObject } from './admin-client.js';

/**
 * When is a Registry "reconciled" for the benches: all four children exist (Deployment,
 * Service, ConfigMap, http Secret) and its status is up to date — observedGeneration equals
 * generation, conditions are written, and Ready no longer says the Deployment is missing (so
 * the status reflects the child). Ready itself stays False here: no kubelet runs the pods.
 */

export const REGISTRY_API = '/apis/dockmaster.dev/v1alpha1';

export const childNames = (registry: string) => ({
  deployment: `${registry}-registry`,
  service: registry,
  configMap: `${registry}-registry-config`,
  secret: `${registry}-registry-http`,
});

interface RegistryStatusView {
  observedGeneration?: number;
  conditions?: Array<{ type: string; status: string; reason: string }>;
}

export function statusIsCurrent(registry: KubeObject): boolean {
  const status = registry.status as RegistryStatusView | undefined;
  if (!status || status.observedGeneration !== registry.metadata.generation) return false;
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  return ready !== undefined && ready.reason !== 'DeploymentMissing';
}

export interface NamespaceSnapshot {
  registries: KubeObject[];
  deployments: Map<string, KubeObject>;
  services: Set<string>;
  configMaps: Set<string>;
  secrets: Set<string>;
}

export async function snapshotNamespace(admin: AdminClient, namespace: string): Promise<NamespaceSnapshot> {
  const ns = `/namespaces/${namespace}`;
  const [registries, deployments, services, configMaps, secrets] = await Promise.all([
    admin.list(`${REGISTRY_API}${ns}/registries`),
    admin.list(`/apis/apps/v1${ns}/deployments`),
    admin.listNames(`/api/v1${ns}/services`),
    admin.listNames(`/api/v1${ns}/configmaps`),
    admin.listNames(`/api/v1${ns}/secrets`),
  ]);
  return { registries, deployments: new Map(deployments.map((d) => [d.metadata.name, d])), services, configMaps, secrets };
}

/** Registries of the snapshot that are reconciled (children present, status current). */
export function reconciledRegistries(snapshot: NamespaceSnapshot): Set<string> {
  const done = new Set<string>();
  for (const registry of snapshot.registries) {
    const name = registry.metadata.name;
    const children = childNames(name);
    if (
      statusIsCurrent(registry) &&
      snapshot.deployments.has(children.deployment) &&
      snapshot.services.has(children.service) &&
      snapshot.configMaps.has(children.configMap) &&
      snapshot.secrets.has(children.secret)
    ) {
      done.add(name);
    }
  }
  return done;
}
