import type { KubernetesObject } from '@kubernetes/client-node';
import { apiErrorDetail, apiErrorStatus, serverSideApply, type KubeClients } from '../../runtime/kube-client.js';
import type { KubeResource } from '../../runtime/resources.js';
import { DockmasterError } from '../../errors.js';
import { APPLIED_HASH_ANNOTATION, FIELD_MANAGER } from '../../managed-registry/children.js';
import { hashObject } from '../../runtime/object-hash.js';

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
 * Server-side apply with our one field manager and force (we own these fields; a human's edit
 * is reverted, which is the point of declaring them). Returns true when a write happened.
 * Refusals of the object (refusesTheObject) become ChildRejectedError (a spec problem to report, not to retry hot);
 * anything else is thrown as is for the queue's backoff.
 */
export async function applyChild(
  kube: KubeClients,
  resource: KubeResource,
  desired: KubernetesObject,
  live: KubernetesObject | undefined,
  rejected: RejectedApplies,
): Promise<boolean> {
  const stamped = withAppliedHash(desired);
  if (isUpToDate(stamped, live)) return false;
  const key = `${resource.kind}/${desired.metadata?.namespace}/${desired.metadata?.name}`;
  const hash = stamped.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] ?? '';
  const known = rejected.get(key, hash);
  if (known) throw known;
  try {
    await serverSideApply(kube, resource, stamped, { fieldManager: FIELD_MANAGER, force: true });
    rejected.clear(key);
    return true;
  } catch (error) {
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
