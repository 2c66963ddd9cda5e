import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';

/** API group/version and kind of the Registry custom resource, as written in owner references. */
export const REGISTRY_API_VERSION = 'dockmaster.dev/v1alpha1';
export const REGISTRY_KIND = 'Registry';

/** The one field manager every server-side apply of ours uses, so ownership of fields is stable. */
export const FIELD_MANAGER = 'dockmaster';

export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'dockmaster';
export const APP_NAME_VALUE = 'registry';

/** Pod-template annotation whose change rolls the pods when the config or a mounted Secret changes. */
export const CONFIG_HASH_ANNOTATION = 'dockmaster.dev/config-hash';
/** Annotation on every child holding the hash of what we last applied; equal hash → no write. */
export const APPLIED_HASH_ANNOTATION = 'dockmaster.dev/applied-hash';

/** Port the registry container listens on; fixed because the config file names it. */
export const REGISTRY_CONTAINER_PORT = 5000;

/** The parts of a Registry that every child needs: who owns it and how it is named. */
export interface RegistryIdentity {
  name: string;
  namespace: string;
  uid: string;
}

/** Names of the children of one Registry; one function so reconcile, cleanup and tests agree. */
export interface RegistryChildNames {
  configMap: string;
  httpSecret: string;
  pvc: string;
  deployment: string;
  service: string;
  podDisruptionBudget: string;
}

export function registryChildNames(registryName: string): RegistryChildNames {
  return {
    configMap: `${registryName}-registry-config`,
    httpSecret: `${registryName}-registry-http`,
    pvc: `${registryName}-registry-data`,
    // The Service carries the Registry's own name so the endpoint reads `<name>.<ns>.svc`.
    deployment: `${registryName}-registry`,
    service: registryName,
    podDisruptionBudget: `${registryName}-registry`,
  };
}

/** Labels that select every child of one Registry (and its pods). */
export function registrySelectorLabels(registryName: string): Record<string, string> {
  return { [LABEL_NAME]: APP_NAME_VALUE, [LABEL_INSTANCE]: registryName };
}

export function registryLabels(registryName: string): Record<string, string> {
  return { ...registrySelectorLabels(registryName), [LABEL_MANAGED_BY]: MANAGED_BY_VALUE };
}

export function registryOwnerReference(owner: RegistryIdentity): V1OwnerReference {
  return {
    apiVersion: REGISTRY_API_VERSION,
    kind: REGISTRY_KIND,
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Metadata shared by every child: name, namespace, our labels and the controller owner reference. */
export function childMetadata(owner: RegistryIdentity, name: string): V1ObjectMeta {
  return {
    name,
    namespace: owner.namespace,
    labels: registryLabels(owner.name),
    ownerReferences: [registryOwnerReference(owner)],
  };
}
