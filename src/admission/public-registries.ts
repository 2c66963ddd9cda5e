/**
 * Registries anyone on the internet can push to, or that serve other people's images. A tenant's
 * Registry can never make one of them admissible by claiming it in `spec.hostnames`: only the
 * admin's `admission.allowedRegistries` (or a namespace rule) can. The list errs on the side of
 * refusing: a Registry that really serves such a name is the admin's business.
 */
import { hostName } from '../registry/host-pattern.js';

const PUBLIC_HOSTS = new Set([
  'docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com', 'hub.docker.com',
  'ghcr.io', 'docker.pkg.github.com',
  'quay.io',
  'registry.k8s.io', 'k8s.gcr.io',
  'gcr.io',
  'mcr.microsoft.com',
  'public.ecr.aws',
  'registry.gitlab.com',
  'nvcr.io',
  'registry.redhat.io', 'registry.access.redhat.com',
  'docker.elastic.co',
  'icr.io',
  'cgr.dev',
]);
/** Every host under these suffixes is public (per-project and per-region endpoints). */
const PUBLIC_SUFFIXES = ['.gcr.io', '.pkg.dev', '.amazonaws.com', '.azurecr.io', '.icr.io', '.ocir.io', '.docker.io', '.quay.io'];

/** Whether `host` (with or without `:port`, any case) is a public registry. */
export function isPublicRegistryHost(host: string): boolean {
  const name = hostName(host);
  return PUBLIC_HOSTS.has(name) || PUBLIC_SUFFIXES.some((suffix) => name.endsWith(suffix));
}
