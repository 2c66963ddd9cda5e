/**
 * Who controls an object (its controller owner reference), and the error for a name held by an
 * object we do not control. Every controller that creates children asks here: a child is
 * written or deleted only when its controller reference carries the owner's UID, never adopted.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { DockmasterError } from '../errors.js';

/** The controller owner reference of an object, as `{uid, "Kind name"}`, or undefined. */
export function controllerOf(object: KubernetesObject): { uid: string; description: string } | undefined {
  const ref = object.metadata?.ownerReferences?.find((r) => r.controller === true);
  return ref ? { uid: ref.uid, description: `${ref.kind} ${ref.name}` } : undefined;
}

/** True when `object` carries a controller owner reference to `ownerUid`. */
export function isControlledBy(object: KubernetesObject, ownerUid: string): boolean {
  return ownerUid !== '' && controllerOf(object)?.uid === ownerUid;
}

/**
 * A child's name is taken by an object its owner does not control: a user's Service `web`
 * beside a Registry named `web`, another Registry's child, a Job someone else made. It is never
 * adopted (a tenant could otherwise rewrite, and then delete, what it does not own).
 */
export class NameConflictError extends DockmasterError {
  constructor(kind: string, namespace: string, name: string, holder: KubernetesObject) {
    const controller = controllerOf(holder)?.description;
    const owner = controller ? `is controlled by ${controller}` : 'is not controlled by this Registry';
    super(
      'DM_ERR_CHILD_CONFLICT',
      `${kind} ${namespace}/${name} already exists and ${owner}; dockmaster does not adopt objects it did not create. ` +
        `Rename the Registry, or delete or rename that ${kind} if it is not needed.`,
    );
  }
}
