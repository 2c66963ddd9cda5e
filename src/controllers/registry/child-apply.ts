import type { KubernetesObject } from '@kubernetes/client-node';
import { apiErrorDetail, apiErrorStatus, serverSideApply, type KubeClients } from '../../runtime/kube-client.js';
import { collectionPath, objectPath, type KubeResource } from '../../runtime/resources.js';
import { DockmasterError } from '../../errors.js';
import { APPLIED_HASH_ANNOTATION, FIELD_MANAGER } from '../../managed-registry/children.js';
import { hashObject } from '../../runtime/object-hash.js';
import { isControlledBy, NameConflictError } from '../../runtime/ownership.js';

/** The apiserver refused a child as invalid (e.g. a PVC field that is immutable once bound). */
export class ChildRejectedError extends DockmasterError {
  constructor(kind: string, name: string, status: number, detail: string) {
    super('DM_ERR_CHILD_REJECTED', `The apiserver rejected ${kind} ${name} (HTTP ${status}): ${detail}`);
  }
}

/**
 * Applies the apiserver refused, by child, with the hash that was refused. Re-sending the same
 * object gets the same answer, so it is not sent again until the desired object changes: a
 * Registry that stays invalid makes no write requests while idle.
 */
export class RejectedApplies {
  private readonly byChild = new Map<string, { hash: string; error: ChildRejectedError }>();

  get(key: string, hash: string): ChildRejectedError | undefined {
    const entry = this.byChild.get(key);
    return entry && entry.hash === hash ? entry.error : undefined;
  }

  set(key: string, hash: string, error: ChildRejectedError): void {
    this.byChild.set(key, { hash, error });
  }

  clear(key: string): void {
    this.byChild.delete(key);
  }
}

/** Stamps the desired object with the hash of its own content (before the stamp). */
export function withAppliedHash<T extends KubernetesObject>(desired: T): T {
  const hash = hashObject(desired);
  return {
    ...desired,
    metadata: { ...desired.metadata, annotations: { ...(desired.metadata?.annotations ?? {}), [APPLIED_HASH_ANNOTATION]: hash } },
  };
}

/**
 * True when the live object already carries what we would apply. Comparing our own hash
 * annotation (instead of the live object, which the apiserver defaults and others annotate)
 * is what lets an idle reconcile make no write at all.
 */
export function isUpToDate(stamped: KubernetesObject, live: KubernetesObject | undefined): boolean {
  const want = stamped.metadata?.annotations?.[APPLIED_HASH_ANNOTATION];
  return live !== undefined && !live.metadata?.deletionTimestamp && live.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] === want;
}

/** The RBAC authorizer's phrasing: `User "x" cannot patch resource "deployments" in API group "apps"`. */
const AUTHORIZATION_DENIED = /\bcannot [a-z]+ resource\b/;

/**
 * True when the apiserver judged the object itself (invalid, or refused by an admission
 * plugin or webhook), so sending it again gets the same answer. Not an authorization 403, a
 * 404 or a 401: the soak bench caught a just-restarted apiserver answering 403 for a few
 * seconds before its RBAC cache synced, and remembering that as a rejection left a Deployment
 * on an old spec for good. Those are retried with backoff like any transient failure.
 */
export function refusesTheObject(status: number, detail: string): boolean {
  if (status === 403) return !AUTHORIZATION_DENIED.test(detail);
  return status === 400 || status === 413 || status === 422;
}

/**
 * Ownership first, then server-side apply with our one field manager and force (we own these
 * fields; a human's edit is reverted, which is the point of declaring them). Server-side apply
 * cannot check owner references first, and a check followed by an apply races, so:
 * - no live object: create it (POST), which fails rather than touch an object that exists;
 * - a live object this Registry controls (owner UID): apply with its resourceVersion as a
 *   precondition, so it cannot have changed hands in between;
 * - anything else: NameConflictError, never adoption.
 * Returns true when a write happened. Refusals of the object (refusesTheObject) become
 * ChildRejectedError (a spec problem to report, not to retry hot); anything else is thrown as is
 * for the queue's backoff.
 */
export async function applyChild(
  kube: KubeClients,
  resource: KubeResource,
  desired: KubernetesObject,
  live: KubernetesObject | undefined,
  rejected: RejectedApplies,
): Promise<boolean> {
  const ownerUid = desired.metadata?.ownerReferences?.find((r) => r.controller === true)?.uid ?? '';
  const namespace = desired.metadata?.namespace ?? '';
  const name = desired.metadata?.name ?? '';
  const kind = desired.kind ?? resource.kind;
  // Ownership before anything else: a foreign object is never written, even one that copied our annotations.
  if (live && !isControlledBy(live, ownerUid)) throw new NameConflictError(kind, namespace, name, live);
  const stamped = withAppliedHash(desired);
  if (isUpToDate(stamped, live)) return false;
  const key = `${resource.kind}/${desired.metadata?.namespace}/${desired.metadata?.name}`;
  const hash = stamped.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] ?? '';
  const known = rejected.get(key, hash);
  if (known) throw known;
  try {
    if (live === undefined) await createOrApply(kube, resource, stamped, ownerUid);
    else {
      await applyOwned(kube, resource, stamped, live, ownerUid).catch(async (error: unknown) => {
        // The cached resourceVersion was stale: read it fresh, check ownership again, apply once more.
        if (apiErrorStatus(error) !== 409) throw error;
        const fresh = await kube.requestJson<KubernetesObject>('GET', objectPath(resource, namespace, name));
        if (!isControlledBy(fresh, ownerUid)) throw new NameConflictError(kind, namespace, name, fresh);
        await applyOwned(kube, resource, stamped, fresh, ownerUid);
      });
    }
    rejected.clear(key);
    return true;
  } catch (error) {
    if (error instanceof NameConflictError) throw error;
    const status = apiErrorStatus(error);
    const detail = apiErrorDetail(error);
    if (status !== undefined && refusesTheObject(status, detail)) {
      const rejection = new ChildRejectedError(desired.kind ?? resource.kind, desired.metadata?.name ?? '', status, detail);
      rejected.set(key, hash, rejection);
      throw rejection;
    }
    throw error;
  }
}

/**
 * A child absent from the cache: created (POST), which fails with 409 where an object of that name
 * exists, so nothing is ever applied over. Only then is it read: the cache may lag, or, for kinds
 * watched by label, not hold a foreign object at all. One this Registry controls is applied; any
 * other is a NameConflictError. The common case (nothing there) costs one request.
 */
async function createOrApply(kube: KubeClients, resource: KubeResource, stamped: KubernetesObject, ownerUid: string): Promise<void> {
  const namespace = stamped.metadata?.namespace ?? '';
  const name = stamped.metadata?.name ?? '';
  try {
    await kube.requestJson<KubernetesObject>('POST', collectionPath(resource, namespace), {
      body: { ...stamped, apiVersion: resource.apiVersion, kind: resource.kind },
      query: { fieldManager: FIELD_MANAGER },
    });
  } catch (error) {
    if (apiErrorStatus(error) !== 409) throw error;
    const current = await kube.requestJson<KubernetesObject>('GET', objectPath(resource, namespace, name));
    if (!isControlledBy(current, ownerUid)) throw new NameConflictError(stamped.kind ?? resource.kind, namespace, name, current);
    await applyOwned(kube, resource, stamped, current, ownerUid);
  }
}

/**
 * Server-side apply of an object this Registry controls, with the resourceVersion it was checked
 * at as a precondition. A child we created carries our fields as an Update entry until its first
 * change; that change first turns the entry into an Apply entry (markFieldsApplied), so the apply
 * prunes what the desired object dropped. The cache keeps each managedFields entry's manager and
 * operation (runtime/informer.ts), enough to tell without a read.
 */
async function applyOwned(kube: KubeClients, resource: KubeResource, stamped: KubernetesObject, checked: KubernetesObject, ownerUid: string): Promise<void> {
  let current = checked;
  if (createdByUs(current)) {
    // The cache holds each entry without its field set (fieldsV1): read the object as it is now.
    if (!current.metadata?.managedFields?.some((f) => f.fieldsV1 !== undefined)) {
      current = await kube.requestJson<KubernetesObject>('GET', objectPath(resource, current.metadata?.namespace, current.metadata?.name ?? ''));
      if (!isControlledBy(current, ownerUid)) throw new NameConflictError(stamped.kind ?? resource.kind, current.metadata?.namespace ?? '', current.metadata?.name ?? '', current);
    }
    current = (await markFieldsApplied(kube, resource, current)) ?? current;
  }
  const precondition = { ...stamped, metadata: { ...stamped.metadata, resourceVersion: current.metadata?.resourceVersion } };
  await serverSideApply(kube, resource, precondition, { fieldManager: FIELD_MANAGER, force: true });
}

/** True while our fields on the object are still the Update entry its creation recorded. */
function createdByUs(object: KubernetesObject): boolean {
  return object.metadata?.managedFields?.some((f) => f.manager === FIELD_MANAGER && f.operation === 'Update' && !f.subresource) ?? false;
}

/**
 * A POST records its fields under our manager with operation Update; server-side apply prunes
 * only fields its manager applied, so a field later dropped from the desired object (a Service
 * port, a TLS volume) would stay for ever. Turning that entry into an Apply entry (what client-go's
 * csaupgrade does) makes the created object exactly as if we had applied it; the resourceVersion
 * test makes it a compare-and-swap.
 */
async function markFieldsApplied(kube: KubeClients, resource: KubeResource, created: KubernetesObject): Promise<KubernetesObject | undefined> {
  const index = created.metadata?.managedFields?.findIndex((f) => f.manager === FIELD_MANAGER && f.operation === 'Update' && !f.subresource) ?? -1;
  if (index < 0) return undefined;
  const name = created.metadata?.name ?? '';
  return kube.requestJson<KubernetesObject>('PATCH', objectPath(resource, created.metadata?.namespace, name), {
    body: [
      { op: 'test', path: '/metadata/resourceVersion', value: created.metadata?.resourceVersion },
      { op: 'test', path: `/metadata/managedFields/${index}/manager`, value: FIELD_MANAGER },
      { op: 'replace', path: `/metadata/managedFields/${index}/operation`, value: 'Apply' },
    ],
    contentType: 'application/json-patch+json',
  }).catch((error: unknown) => {
    // A failed `test` is a 422 about our patch, not the object: someone wrote in between. Retried
    // with backoff (ChildRejectedError would remember it as a refusal of the desired object).
    if (apiErrorStatus(error) === 422) throw new DockmasterError('DM_ERR_CHILD_CHANGED', `${resource.kind} ${name} changed while it was read; retrying.`);
    throw error;
  });
}
