import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1PersistentVolumeClaim } from '@kubernetes/client-node';

const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';

/**
 * Stands in for kube-controller-manager's pvc-protection controller: the apiserver adds the
 * `kubernetes.io/pvc-protection` finalizer to every claim, and without that controller a
 * deleted claim stays Terminating forever. It is removed once no local pod uses the claim.
 */
async function releaseDeletedClaim(
  core: CoreV1Api,
  claim: V1PersistentVolumeClaim,
  claimInUse: (namespace: string, claimName: string) => boolean,
): Promise<void> {
  const { name = '', namespace = '', finalizers = [] } = claim.metadata ?? {};
  if (!finalizers.includes(PVC_PROTECTION_FINALIZER) || claimInUse(namespace, name)) return;
  await core.patchNamespacedPersistentVolumeClaim({
    name,
    namespace,
    body: { metadata: { finalizers: finalizers.filter((f) => f !== PVC_PROTECTION_FINALIZER), resourceVersion: claim.metadata?.resourceVersion } },
  }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

/**
 * Stands in for a volume provisioner: marks our PVCs Bound with the requested capacity. The
 * apiserver only lets `resources.requests.storage` grow on a Bound claim, so without this a
 * storage-size update could never be tested. Capacity follows later size requests (expansion).
 */
export async function bindPendingClaims(
  core: CoreV1Api,
  labelSelector: string,
  claimInUse: (namespace: string, claimName: string) => boolean,
  namespace: string | undefined,
): Promise<void> {
  const claims = namespace
    ? await core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector })
    : await core.listPersistentVolumeClaimForAllNamespaces({ labelSelector });
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  for (const claim of claims.items) {
    const requested = claim.spec?.resources?.requests?.storage;
    if (claim.metadata?.deletionTimestamp) {
      await releaseDeletedClaim(core, claim, claimInUse);
      continue;
    }
    if (claim.status?.phase === 'Bound' && claim.status.capacity?.storage === requested) continue;
    await core.patchNamespacedPersistentVolumeClaimStatus({
      name: claim.metadata?.name ?? '',
      namespace: claim.metadata?.namespace ?? '',
      body: { status: { phase: 'Bound', accessModes: claim.spec?.accessModes, capacity: requested ? { storage: requested } : {} } },
    }, mergePatch);
  }
}
