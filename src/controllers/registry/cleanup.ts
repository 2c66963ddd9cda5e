import type { KubernetesObject, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Registry } from '../../api/registry.js';
import { apiErrorStatus, type KubeClients } from '../../runtime/kube-client.js';
import { objectPath, RESOURCES, type KubeResource } from '../../runtime/resources.js';
import { registryChildNames } from '../../managed-registry/children.js';

/**
 * Why a finalizer when owner references already garbage-collect the children: the PVC rule.
 * The images live in the PVC, and a user deleting a Registry (to recreate it, or by mistake)
 * must not lose them unless `spec.storage.pvc.deleteOnRemoval` says so. A kept PVC must lose
 * its owner reference *before* the Registry is gone, or the garbage collector deletes it with
 * its owner; only a finalizer gives us that moment. The other children are deleted here too so
 * cleanup does not depend on kube-controller-manager's garbage collector running.
 */
export const REGISTRY_FINALIZER = 'dockmaster.dev/registry-cleanup';

const MERGE_PATCH = 'application/merge-patch+json';

async function deleteIfPresent(kube: KubeClients, resource: KubeResource, namespace: string, name: string): Promise<void> {
  try {
    await kube.requestJson('DELETE', objectPath(resource, namespace, name), { query: { propagationPolicy: 'Background' } });
  } catch (error) {
    if (apiErrorStatus(error) !== 404) throw error;
  }
}

/** Drops the Registry's owner reference from the PVC so the garbage collector leaves it alone. */
async function releasePvc(kube: KubeClients, pvc: V1PersistentVolumeClaim, registryUid: string): Promise<void> {
  const refs = pvc.metadata?.ownerReferences ?? [];
  const kept = refs.filter((ref) => ref.uid !== registryUid);
  if (kept.length === refs.length) return;
  await kube.requestJson('PATCH', objectPath(RESOURCES.persistentVolumeClaim, pvc.metadata?.namespace ?? '', pvc.metadata?.name ?? ''), {
    // resourceVersion makes this a compare-and-swap: a concurrent edit makes us retry, not clobber.
    body: { metadata: { ownerReferences: kept, resourceVersion: pvc.metadata?.resourceVersion } },
    contentType: MERGE_PATCH,
  });
}

/**
 * Deletes what the Registry created, keeping the PVC (released from its owner) unless
 * deleteOnRemoval. Idempotent: a retry after a partial failure finishes the job.
 */
export async function cleanUpRegistryChildren(
  kube: KubeClients,
  registry: Registry,
  livePvc: V1PersistentVolumeClaim | undefined,
): Promise<{ pvcKept: boolean }> {
  const namespace = registry.metadata?.namespace ?? '';
  const names = registryChildNames(registry.metadata?.name ?? '');
  await deleteIfPresent(kube, RESOURCES.deployment, namespace, names.deployment);
  await deleteIfPresent(kube, RESOURCES.service, namespace, names.service);
  await deleteIfPresent(kube, RESOURCES.configMap, namespace, names.configMap);
  await deleteIfPresent(kube, RESOURCES.secret, namespace, names.httpSecret);
  const deletePvc = registry.spec?.storage?.pvc?.deleteOnRemoval === true;
  if (deletePvc) {
    await deleteIfPresent(kube, RESOURCES.persistentVolumeClaim, namespace, names.pvc);
  } else if (livePvc) {
    await releasePvc(kube, livePvc, registry.metadata?.uid ?? '');
  }
  return { pvcKept: !deletePvc && livePvc !== undefined };
}

/** Sets the Registry's finalizers, compare-and-swap on resourceVersion. */
export async function writeFinalizers(kube: KubeClients, registry: KubernetesObject, finalizers: string[]): Promise<void> {
  await kube.requestJson('PATCH', objectPath(RESOURCES.registry, registry.metadata?.namespace ?? '', registry.metadata?.name ?? ''), {
    body: { metadata: { finalizers, resourceVersion: registry.metadata?.resourceVersion } },
    contentType: MERGE_PATCH,
  });
}
