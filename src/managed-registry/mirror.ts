/**
 * A Registry with spec.proxy: distribution's pull-through cache of one upstream. What it adds to
 * the registry config and the pod, and the mirror settings that cannot work (Degraded, with the fix).
 */
import type { V1EnvVar, V1Secret } from '@kubernetes/client-node';
import { credentialsForRegistry, parseDockerConfigJson } from '../registry/client/docker-config.js';
import type { ResolvedRegistrySpec, RegistrySpec } from '../api/registry.js';
import { REASON_MIRROR_INVALID } from '../api/registry-conditions.js';
import { secretValue } from './credentials.js';
import { distributionMajorVersion } from './image-advisory.js';

/** Keys of spec.proxy.credentialsSecret (a generic Secret), or its .dockerconfigjson. */
export const PROXY_USERNAME_KEY = 'username';
export const PROXY_PASSWORD_KEY = 'password';
const DOCKER_CONFIG_KEY = '.dockerconfigjson';
/** Where the operator copies the credentials: keys of the Registry's own http Secret, which the pod reads as env. */
export const HTTP_SECRET_PROXY_USERNAME_KEY = 'proxy-username';
export const HTTP_SECRET_PROXY_PASSWORD_KEY = 'proxy-password';

export type ProxyCredentials = { username: string; password: string };

/**
 * The upstream credentials of spec.proxy.credentialsSecret: its username and password keys, or
 * the entry for the upstream's host in a kubernetes.io/dockerconfigjson Secret. A problem names
 * the Secret and what to change.
 */
export function proxyCredentialsOf(secret: V1Secret, remoteURL: string): ProxyCredentials | { problem: string } {
  const name = secret.metadata?.name ?? '';
  const dockerConfig = secretValue(secret, DOCKER_CONFIG_KEY);
  if (dockerConfig !== undefined) {
    let credentials: ReturnType<typeof credentialsForRegistry>;
    try {
      credentials = credentialsForRegistry(parseDockerConfigJson(dockerConfig, `Secret ${name}`), remoteURL);
    } catch (error) {
      return { problem: `Secret "${name}" (spec.proxy.credentialsSecret): ${error instanceof Error ? error.message : String(error)}` };
    }
    if (!credentials) return { problem: `Secret "${name}" (spec.proxy.credentialsSecret) has no entry for ${new URL(remoteURL).host} in .dockerconfigjson; add one (docker login ${new URL(remoteURL).host}), or use username and password keys.` };
    if (!('username' in credentials)) return { problem: `Secret "${name}" (spec.proxy.credentialsSecret) holds a token for ${new URL(remoteURL).host}; distribution's proxy logs in with a username and password (a token works as the password).` };
    return credentials;
  }
  const username = secretValue(secret, PROXY_USERNAME_KEY);
  const password = secretValue(secret, PROXY_PASSWORD_KEY);
  if (username === undefined || password === undefined) {
    return { problem: `Secret "${name}" (spec.proxy.credentialsSecret) needs the keys ${PROXY_USERNAME_KEY} and ${PROXY_PASSWORD_KEY}, or a .dockerconfigjson with an entry for ${new URL(remoteURL).host}: kubectl create secret generic ${name} --from-literal=username=USER --from-literal=password=PASSWORD_OR_TOKEN` };
  }
  return { username, password };
}

/** distribution's `proxy` section. Credentials are not in it: they come from env (proxyEnv), never a ConfigMap. */
export function proxyConfigBlock(spec: RegistrySpec): Record<string, unknown> | undefined {
  if (!spec.proxy) return undefined;
  return { remoteurl: spec.proxy.remoteURL.replace(/\/$/, ''), ...(spec.proxy.ttl ? { ttl: spec.proxy.ttl } : {}) };
}

/**
 * REGISTRY_PROXY_USERNAME/PASSWORD (distribution's env override of proxy.username/password),
 * from the copy the operator keeps in the Registry's http Secret: one form whatever the user's
 * Secret looks like, and a change of it rolls the pod through the config hash.
 */
export function proxyEnv(spec: RegistrySpec, httpSecretName: string): V1EnvVar[] {
  if (!spec.proxy?.credentialsSecret) return [];
  return [
    { name: 'REGISTRY_PROXY_USERNAME', valueFrom: { secretKeyRef: { name: httpSecretName, key: HTTP_SECRET_PROXY_USERNAME_KEY } } },
    { name: 'REGISTRY_PROXY_PASSWORD', valueFrom: { secretKeyRef: { name: httpSecretName, key: HTTP_SECRET_PROXY_PASSWORD_KEY } } },
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
