import type { KubernetesObject, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Registry } from '../../api/registry.js';
import { apiErrorStatus, getOrUndefined, type KubeClients } from '../../runtime/kube-client.js';
import { isControlledBy } from '../../runtime/ownership.js';
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

/**
 * Deletes a child only if this Registry controls it, with its UID as a precondition: an object
 * of the same name that belongs to someone else (never adopted, see child-apply.ts) is left alone,
 * and one replaced between the read and the delete is not deleted by mistake.
 */
async function deleteIfControlled(kube: KubeClients, resource: KubeResource, namespace: string, name: string, registryUid: string): Promise<void> {
  const live = await getOrUndefined(() => kube.requestJson<KubernetesObject>('GET', objectPath(resource, namespace, name)));
  if (!live || !isControlledBy(live, registryUid)) return;
  try {
    await kube.requestJson('DELETE', objectPath(resource, namespace, name), {
      body: { propagationPolicy: 'Background', preconditions: { uid: live.metadata?.uid } },
    });
  } catch (error) {
    // Gone already, or replaced by another object since the read (the precondition failed).
    const status = apiErrorStatus(error);
    if (status !== 404 && status !== 409) throw error;
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
  const uid = registry.metadata?.uid ?? '';
  const names = registryChildNames(registry.metadata?.name ?? '');
  await deleteIfControlled(kube, RESOURCES.deployment, namespace, names.deployment, uid);
  await deleteIfControlled(kube, RESOURCES.service, namespace, names.service, uid);
  await deleteIfControlled(kube, RESOURCES.podDisruptionBudget, namespace, names.podDisruptionBudget, uid);
  await deleteIfControlled(kube, RESOURCES.configMap, namespace, names.configMap, uid);
  await deleteIfControlled(kube, RESOURCES.secret, namespace, names.httpSecret, uid);
  const deletePvc = registry.spec?.storage?.pvc?.deleteOnRemoval === true;
  if (deletePvc) {
    await deleteIfControlled(kube, RESOURCES.persistentVolumeClaim, namespace, names.pvc, uid);
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
