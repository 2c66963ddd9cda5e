/**
 * How a RetentionPolicy reaches its registry: which lock key, URL, credentials and CA. Pure:
 * Registries and Secrets come in through lookups (the informer caches), so every missing Secret
 * or key becomes a Ready=False reason naming it instead of a failed run.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { Registry } from '../../api/registry.js';
import type { RetentionPolicySpec } from '../../api/retention-policy.js';
import type { RegistryCredentials } from '../../registry/client/index.js';
import { credentialsForRegistry, parseDockerConfigJson } from '../../registry/client/index.js';
import { CA_KEY, PASSWORD_KEY, registryCaOf, secretValue, TLS_CERT_KEY, USERNAME_KEY } from '../../managed-registry/credentials.js';
import { registryEndpoint, registryUrl } from '../../managed-registry/service.js';
import { distributionMajorVersion } from '../../managed-registry/image-advisory.js';
import { registryImageOf } from '../../managed-registry/registry-image.js';
import * as C from '../../api/retention-policy-conditions.js';

/** Key of a `kubernetes.io/dockerconfigjson` Secret (spec.external.credentialsSecret). */
export const DOCKER_CONFIG_KEY = '.dockerconfigjson';

export interface RegistryAccess {
  /** Lock key: `namespace/name` of a managed Registry, the URL of an external one. */
  registryKey: string;
  /** The managed Registry (registryRef); its status carries the garbage-collection window. */
  registry?: Registry;
  /** The URL to use: the external URL, or the managed Registry's in-cluster URL (a resolver may override it). */
  url: string;
  credentials?: RegistryCredentials;
  caPem?: string;
  insecureSkipTlsVerify: boolean;
  /**
   * The registry untags on DELETE of a tag (planRetention's canUntag): a managed Registry whose
   * image names distribution 3.x. Never for external registries (their version is unknown) nor a
   * digest-pinned image. Should the pods still run 2.x mid-rollout, 2.8 refuses the untag with 400
   * DIGEST_INVALID and removes nothing; the run stops there and says so.
   */
  canUntag: boolean;
  /**
   * The registry hosts (`host[:port]`) image references name it by, to find what the cluster
   * runs from it: a managed Registry's Service names and spec.hostnames, an external URL's host.
   */
  imageHosts: string[];
}

export interface AccessProblem {
  reason: string;
  message: string;
}

export type AccessResult = { ok: true; access: RegistryAccess } | { ok: false; problem: AccessProblem };

export interface AccessLookups {
  registry(name: string): Registry | undefined;
  secret(name: string): V1Secret | undefined;
}

/** The Registry and Secrets a policy reads, so their events find the policy again. */
export interface PolicyReferences {
  registryName?: string;
  secretNames: string[];
}

export function policyReferences(spec: RetentionPolicySpec, lookups: Pick<AccessLookups, 'registry'>): PolicyReferences {
  if (spec.registryRef) {
    const registry = lookups.registry(spec.registryRef.name);
    const names = [registry?.spec?.auth?.htpasswdSecret, registry?.spec?.tls?.secretName].filter((n): n is string => !!n);
    return { registryName: spec.registryRef.name, secretNames: names };
  }
  const external = spec.external;
  return { secretNames: [external?.credentialsSecret, external?.caSecret].filter((n): n is string => !!n) };
}

function missingSecret(name: string, role: string): AccessResult {
  return { ok: false, problem: { reason: C.REASON_SECRET_MISSING, message: `Secret ${name} (${role}) not found; create it in this namespace.` } };
}

function missingKey(name: string, key: string, hint: string): AccessResult {
  return { ok: false, problem: { reason: C.REASON_SECRET_KEY_MISSING, message: `Secret ${name} has no key ${key}; ${hint}` } };
}

export function resolveRegistryAccess(namespace: string, spec: RetentionPolicySpec, lookups: AccessLookups): AccessResult {
  if (spec.registryRef) return managedAccess(namespace, spec.registryRef.name, lookups);
  if (spec.external) return externalAccess(spec.external, lookups);
  return { ok: false, problem: { reason: C.REASON_SPEC_INVALID, message: 'Set exactly one of spec.registryRef or spec.external.' } };
}

function managedAccess(namespace: string, name: string, lookups: AccessLookups): AccessResult {
  const registry = lookups.registry(name);
  if (!registry) {
    return {
      ok: false,
      problem: { reason: C.REASON_REGISTRY_NOT_FOUND, message: `Registry ${name} not found in namespace ${namespace}; create it or fix spec.registryRef.name.` },
    };
  }
  if (registry.spec?.proxy) {
    return {
      ok: false,
      problem: {
        reason: C.REASON_TARGET_IS_MIRROR,
        message:
          `Registry ${name} is a mirror of ${registry.spec.proxy.remoteURL} (spec.proxy): a mirror drops cached content by TTL expiry (spec.proxy.ttl), and deletes through its API are refused. ` +
          'Point spec.registryRef at a Registry that is not a mirror, or delete this RetentionPolicy.',
      },
    };
  }
  const canUntag = (distributionMajorVersion(registryImageOf(registry)) ?? 0) >= 3;
  const endpoint = registryEndpoint({ name, namespace }, registry.spec);
  const [serviceHost, port] = endpoint.split(':');
  const imageHosts = [endpoint, `${serviceHost}.cluster.local:${port}`, ...(registry.spec?.hostnames ?? [])];
  const access: RegistryAccess = { registryKey: `${namespace}/${name}`, registry, url: '', insecureSkipTlsVerify: false, canUntag, imageHosts };
  const htpasswdSecret = registry.spec?.auth?.htpasswdSecret;
  if (htpasswdSecret) {
    const secret = lookups.secret(htpasswdSecret);
    if (!secret) return missingSecret(htpasswdSecret, `spec.auth.htpasswdSecret of Registry ${name}`);
    const hint = `add ${USERNAME_KEY} and ${PASSWORD_KEY} keys (the login RetentionPolicies use, beside htpasswd; see examples/htpasswd-secret.yaml).`;
    const username = secretValue(secret, USERNAME_KEY);
    if (!username) return missingKey(htpasswdSecret, USERNAME_KEY, hint);
    const password = secretValue(secret, PASSWORD_KEY);
    if (password === undefined) return missingKey(htpasswdSecret, PASSWORD_KEY, hint);
    access.credentials = { username, password };
  }
  const tlsSecret = registry.spec?.tls?.secretName;
  if (tlsSecret) {
    const secret = lookups.secret(tlsSecret);
    if (!secret) return missingSecret(tlsSecret, `spec.tls.secretName of Registry ${name}`);
    const caPem = registryCaOf(secret);
    if (!caPem) return missingKey(tlsSecret, CA_KEY, `add the CA that signed the registry certificate (or ${TLS_CERT_KEY}).`);
    access.caPem = caPem;
  }
  access.url = registryUrl(endpoint, registry.spec);
  return { ok: true, access };
}

function externalAccess(external: NonNullable<RetentionPolicySpec['external']>, lookups: AccessLookups): AccessResult {
  const url = external.url.replace(/\/+$/, '');
  const access: RegistryAccess = { registryKey: url, url, insecureSkipTlsVerify: external.insecure, canUntag: false, imageHosts: [new URL(url).host] };
  if (external.credentialsSecret) {
    const name = external.credentialsSecret;
    const secret = lookups.secret(name);
    if (!secret) return missingSecret(name, 'spec.external.credentialsSecret');
    const text = secretValue(secret, DOCKER_CONFIG_KEY);
    if (!text) return missingKey(name, DOCKER_CONFIG_KEY, 'use a kubernetes.io/dockerconfigjson Secret (kubectl create secret docker-registry).');
    let credentials: RegistryCredentials | undefined;
    try {
      credentials = credentialsForRegistry(parseDockerConfigJson(text, `Secret ${name} key ${DOCKER_CONFIG_KEY}`), url);
    } catch (error) {
      return { ok: false, problem: { reason: C.REASON_SECRET_INVALID, message: (error as Error).message } };
    }
    if (!credentials) {
      return {
        ok: false,
        problem: { reason: C.REASON_SECRET_INVALID, message: `Secret ${name} key ${DOCKER_CONFIG_KEY} has no auths entry with credentials for ${url}; add one for its host.` },
      };
    }
    access.credentials = credentials;
  }
  if (external.caSecret) {
    const name = external.caSecret;
    const secret = lookups.secret(name);
    if (!secret) return missingSecret(name, 'spec.external.caSecret');
    const caPem = secretValue(secret, CA_KEY);
    if (!caPem) return missingKey(name, CA_KEY, 'put the PEM CA bundle that signed the registry certificate there.');
    access.caPem = caPem;
  }
  return { ok: true, access };
}
