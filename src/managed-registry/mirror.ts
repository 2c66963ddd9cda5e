/**
 * A Registry with spec.proxy: distribution's pull-through cache of one upstream. What it adds to
 * the registry config and the pod, and the mirror settings that cannot work (Degraded, with the fix).
 */
import type { V1EnvVar } from '@kubernetes/client-node';
import type { ResolvedRegistrySpec, RegistrySpec } from '../api/registry.js';
import { REASON_MIRROR_INVALID } from '../api/registry-conditions.js';
import { distributionMajorVersion } from './image-advisory.js';

/** Keys of spec.proxy.credentialsSecret. */
export const PROXY_USERNAME_KEY = 'username';
export const PROXY_PASSWORD_KEY = 'password';

/** distribution's `proxy` section. Credentials are not in it: they come from env (proxyEnv), never a ConfigMap. */
export function proxyConfigBlock(spec: RegistrySpec): Record<string, unknown> | undefined {
  if (!spec.proxy) return undefined;
  return { remoteurl: spec.proxy.remoteURL.replace(/\/$/, ''), ...(spec.proxy.ttl ? { ttl: spec.proxy.ttl } : {}) };
}

/** REGISTRY_PROXY_USERNAME/PASSWORD from the credentials Secret (distribution's env override of proxy.username/password). */
export function proxyEnv(spec: RegistrySpec): V1EnvVar[] {
  const name = spec.proxy?.credentialsSecret;
  if (!name) return [];
  return [
    { name: 'REGISTRY_PROXY_USERNAME', valueFrom: { secretKeyRef: { name, key: PROXY_USERNAME_KEY } } },
    { name: 'REGISTRY_PROXY_PASSWORD', valueFrom: { secretKeyRef: { name, key: PROXY_PASSWORD_KEY } } },
  ];
}

export interface MirrorPolicy {
  /** The admin's registries.anonymousMirrorsWithCredentials: let a mirror with upstream credentials run without spec.auth. */
  anonymousMirrorsWithCredentials: boolean;
  /** Why the upstream host may not be reached (the admin's externalRegistries allow list), or undefined. */
  refuseHost?: (hostname: string) => string | undefined;
}

/** Mirror settings that depend on the image or the admin's configuration (the schema checks the rest). */
export function mirrorProblems(spec: ResolvedRegistrySpec, policy: MirrorPolicy): Array<{ reason: string; message: string }> {
  const proxy = spec.proxy;
  if (!proxy) return [];
  const problems: string[] = [];
  const major = distributionMajorVersion(spec.image);
  if (proxy.ttl && major !== undefined && major < 3) {
    problems.push(`spec.proxy.ttl needs distribution 3.x: ${spec.image} always keeps cached content 168h. Remove ttl, or set spec.image to registry:3.1.2 or later.`);
  }
  if (proxy.credentialsSecret && !spec.auth?.htpasswdSecret && !policy.anonymousMirrorsWithCredentials) {
    problems.push(
      `spec.proxy.credentialsSecret without spec.auth would let every pod in the cluster pull what the upstream account "${proxy.credentialsSecret}" can, private repositories included. ` +
        'Set spec.auth.htpasswdSecret, or the admin allows it with registries.anonymousMirrorsWithCredentials: true in the operator configuration.',
    );
  }
  const refused = policy.refuseHost?.(new URL(proxy.remoteURL).hostname);
  if (refused) problems.push(`spec.proxy.remoteURL ${proxy.remoteURL}: ${refused}.`);
  return problems.map((message) => ({ reason: REASON_MIRROR_INVALID, message }));
}
