/**
 * What `dockmaster admit --from-cluster` judges: the workloads running now, read from the
 * apiserver (Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs), the
 * Namespaces (their labels select rules) and the Registries (they feed the allow list). The
 * report of what a new configuration would deny, before it is enforced (docs/security.md).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { createKubeClients, getOrUndefined, loadKubeConfig } from '../runtime/kube-client.js';
import { collectionPath, RESOURCES, WORKLOAD_RESOURCES, type KubeResource } from '../runtime/resources.js';
/** A page of a list; the whole cluster is read page by page. */
const PAGE_SIZE = 500;

export async function readClusterWorkloads(kubeconfig: string | undefined): Promise<KubernetesObject[]> {
  const clients = createKubeClients(loadKubeConfig(kubeconfig ? { kubeconfigPath: kubeconfig } : {}));
  const listAll = async (resource: KubeResource): Promise<KubernetesObject[]> => {
    const items: KubernetesObject[] = [];
    let continueToken: string | undefined;
    do {
      const page = await clients.requestJson<{ items?: KubernetesObject[]; metadata?: { continue?: string } }>('GET', collectionPath(resource), {
        query: { limit: String(PAGE_SIZE), continue: continueToken },
      });
      for (const item of page.items ?? []) items.push({ ...item, apiVersion: resource.apiVersion, kind: resource.kind });
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return items;
  };
  const namespaces = await listAll(RESOURCES.namespace);
  // No Registry CRD installed: no Registry feeds the allow list.
  const registries = (await getOrUndefined(() => listAll(RESOURCES.registry))) ?? [];
  const workloads: KubernetesObject[] = [];
  for (const resource of WORKLOAD_RESOURCES) {
    for (const object of await listAll(resource)) {
      // A Pod or ReplicaSet run by a controller is judged through that controller: one finding per workload.
      if (object.metadata?.ownerReferences?.some((ref) => ref.controller) && (resource.kind === 'Pod' || resource.kind === 'ReplicaSet' || resource.kind === 'Job')) continue;
      workloads.push(object);
    }
  }
  return [...namespaces, ...registries, ...workloads];
}
