/**
 * The kinds the runtime lists and watches, named once. `plural` is the URL segment; the
 * apiserver's discovery would tell us too, but these are fixed and asking costs a request.
 */
export interface KubeResource {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export const RESOURCES = {
  registry: { apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', plural: 'registries', namespaced: true },
  retentionPolicy: {
    apiVersion: 'dockmaster.dev/v1alpha1',
    kind: 'RetentionPolicy',
    plural: 'retentionpolicies',
    namespaced: true,
  },
  configMap: { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  secret: { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  service: { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  persistentVolumeClaim: {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    namespaced: true,
  },
  pod: { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  event: { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  deployment: { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  job: { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true },
  podDisruptionBudget: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true },
  lease: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true },
  namespace: { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
} as const satisfies Record<string, KubeResource>;

/**
 * Pods and the six kinds that carry a pod template: what runs, or will. `dockmaster admit
 * --from-cluster` judges them; retention's in-use protection keeps their images.
 */
export const WORKLOAD_RESOURCES: readonly KubeResource[] = [
  RESOURCES.pod,
  RESOURCES.deployment,
  { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true },
  RESOURCES.job,
  { apiVersion: 'batch/v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true },
];

/** The API group of a resource: '' for the core group (`v1`), `apps` for `apps/v1`. */
export function apiGroupOf(resource: Pick<KubeResource, 'apiVersion'>): string {
  const slash = resource.apiVersion.indexOf('/');
  return slash < 0 ? '' : resource.apiVersion.slice(0, slash);
}

/** Label every child we create carries; owned-kind informers select on it to keep memory small. */
export const MANAGED_BY_SELECTOR = 'app.kubernetes.io/managed-by=dockmaster';

/** `/api/v1/namespaces/ns/configmaps` or `/apis/apps/v1/deployments` (all namespaces). */
export function collectionPath(resource: KubeResource, namespace?: string): string {
  const prefix = resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  if (resource.namespaced && namespace) return `${prefix}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`;
  return `${prefix}/${resource.plural}`;
}

/** `/api/v1/namespaces/ns/configmaps/name[/status]`. */
export function objectPath(resource: KubeResource, namespace: string | undefined, name: string, subresource?: string): string {
  const base = `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`;
  return subresource ? `${base}/${subresource}` : base;
}

/** Reconcile keys are `namespace/name`, or just `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function splitObjectKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  if (slash < 0) return { namespace: '', name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The API group of an apiVersion (`apps/v1` → `apps`, `v1` → ``); owner refs match on group+kind. */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
