import type { Registry, RegistrySpec, ResolvedRegistrySpec } from '../../../src/api/registry.js';
import type { RegistryIdentity } from '../../../src/managed-registry/children.js';

export const OWNER: RegistryIdentity = { name: 'main', namespace: 'registries', uid: '0b0e6f5e-1111-4222-8333-444455556666' };

/** A minimal valid spec: one replica on a 10Gi ReadWriteOnce PVC, no auth, no TLS. */
export function specWith(overrides: Partial<RegistrySpec> = {}): ResolvedRegistrySpec {
  return {
    image: 'registry:2.8.2',
    replicas: 1,
    storage: { pvc: { size: '10Gi' } },
    ...overrides,
  } as ResolvedRegistrySpec;
}

export function registryWith(spec: RegistrySpec, extra: { generation?: number; status?: Registry['status'] } = {}): Registry {
  return {
    apiVersion: 'dockmaster.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name: OWNER.name, namespace: OWNER.namespace, uid: OWNER.uid, generation: extra.generation ?? 1 },
    spec,
    ...(extra.status ? { status: extra.status } : {}),
  } as Registry;
}
