import type { V1Service } from '@kubernetes/client-node';
import type { RegistrySpec } from '../api/registry.js';
import { childMetadata, REGISTRY_CONTAINER_PORT, registryChildNames, registrySelectorLabels, type RegistryIdentity } from './children.js';

export const DEFAULT_SERVICE_PORT = 5000;
export const DEFAULT_SERVICE_TYPE = 'ClusterIP';

/** The fields the endpoint rule reads; admission passes the raw cached object's spec. */
export interface EndpointSpec {
  service?: { port?: number | undefined } | undefined;
}

export function servicePort(spec: EndpointSpec | undefined): number {
  return spec?.service?.port ?? DEFAULT_SERVICE_PORT;
}

export function buildService(owner: RegistryIdentity, serviceName: string, spec: RegistrySpec): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMetadata(owner, serviceName),
    spec: {
      type: spec.service?.type ?? DEFAULT_SERVICE_TYPE,
      selector: registrySelectorLabels(owner.name),
      ports: [{ name: 'registry', port: servicePort(spec), targetPort: REGISTRY_CONTAINER_PORT, protocol: 'TCP' }],
    },
  };
}

/**
 * How images in the cluster name the registry: `<service>.<namespace>.svc:<port>`, the host
 * part of an image reference (no scheme), as admission and users write it. Derived from the
 * Registry's name, namespace and spec only, never from its status: a tenant who may write
 * `registries/status` must not be able to point admission or retention elsewhere.
 */
export function registryEndpoint(registry: { name: string; namespace: string }, spec: EndpointSpec | undefined): string {
  return `${registryChildNames(registry.name).service}.${registry.namespace}.svc:${servicePort(spec)}`;
}

/** The base URL of the v2 API at the endpoint: https when the Registry serves TLS. */
export function registryUrl(endpoint: string, spec: RegistrySpec): string {
  return `${spec.tls ? 'https' : 'http'}://${endpoint}`;
}
