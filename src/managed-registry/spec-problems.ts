import type { V1Secret } from '@kubernetes/client-node';
import type { RegistrySpec } from '../api/registry.js';
import { REASON_INVALID_STORAGE, REASON_SECRET_INVALID, REASON_SECRET_MISSING } from '../api/registry-conditions.js';
import { HTPASSWD_SECRET_KEY, TLS_CERT_KEY, TLS_KEY_KEY } from './credentials.js';
import { PROXY_PASSWORD_KEY, PROXY_USERNAME_KEY } from './mirror.js';
import { storageDriverFor, storageKindsSet, type SecretRequirement } from './storage/index.js';

/** Something in the spec (or what it refers to) that keeps the registry from running. */
export interface SpecProblem {
  reason: string;
  /** Says what is wrong and what the user should do about it. */
  message: string;
}

/** A Secret lookup by name in the Registry's namespace; undefined when it does not exist. */
export type SecretLookup = (name: string) => V1Secret | undefined;

function secretRequirements(spec: RegistrySpec): SecretRequirement[] {
  const required: SecretRequirement[] = [];
  if (spec.auth?.htpasswdSecret) {
    required.push({
      name: spec.auth.htpasswdSecret,
      purpose: 'spec.auth.htpasswdSecret',
      keys: [HTPASSWD_SECRET_KEY],
      howTo: `kubectl create secret generic ${spec.auth.htpasswdSecret} --from-file=${HTPASSWD_SECRET_KEY}=<file made with htpasswd -Bbn USER PASSWORD>`,
    });
  }
  if (spec.tls) {
    required.push({
      name: spec.tls.secretName,
      purpose: 'spec.tls.secretName',
      keys: [TLS_CERT_KEY, TLS_KEY_KEY],
      howTo: `kubectl create secret tls ${spec.tls.secretName} --cert=<cert.pem> --key=<key.pem>`,
    });
  }
  required.push(...storageDriverFor(spec).secretRequirements(spec));
  if (spec.proxy?.credentialsSecret) {
    required.push({
      name: spec.proxy.credentialsSecret,
      purpose: 'spec.proxy.credentialsSecret',
      // Its keys depend on its form (username/password or .dockerconfigjson): mirror.ts proxyCredentialsOf checks them.
      keys: [],
      howTo: `kubectl create secret generic ${spec.proxy.credentialsSecret} --from-literal=${PROXY_USERNAME_KEY}=USER --from-literal=${PROXY_PASSWORD_KEY}=PASSWORD_OR_TOKEN`,
    });
  }
  return required;
}

/** Names of the user Secrets the Registry's pods mount or read (for watching and hashing). */
export function referencedSecretNames(spec: RegistrySpec): string[] {
  return secretRequirements(spec).map((r) => r.name);
}

function storageProblems(spec: RegistrySpec): SpecProblem[] {
  const kinds = storageKindsSet(spec);
  if (kinds.length > 1) {
    return [{
      reason: REASON_INVALID_STORAGE,
      message: `spec.storage sets ${kinds.join(' and ')}; set exactly one of pvc, emptyDir or s3.`,
    }];
  }
  return storageDriverFor(spec).problems(spec).slice(0, 1).map((message) => ({ reason: REASON_INVALID_STORAGE, message }));
}

/**
 * Problems the schema cannot see: combinations that cannot work and Secrets that are missing
 * or lack a key. Each becomes a Degraded condition and an Event, never a failed reconcile.
 */
export function findSpecProblems(spec: RegistrySpec, lookupSecret: SecretLookup): SpecProblem[] {
  const problems = storageProblems(spec);
  for (const req of secretRequirements(spec)) {
    const secret = lookupSecret(req.name);
    if (!secret) {
      problems.push({
        reason: REASON_SECRET_MISSING,
        message: `Secret "${req.name}" named by ${req.purpose} does not exist; create it: ${req.howTo}`,
      });
      continue;
    }
    const missingKeys = req.keys.filter((key) => secret.data?.[key] === undefined && secret.stringData?.[key] === undefined);
    if (missingKeys.length > 0) {
      problems.push({
        reason: REASON_SECRET_INVALID,
        message: `Secret "${req.name}" named by ${req.purpose} lacks key(s) ${missingKeys.join(', ')}; recreate it: ${req.howTo}`,
      });
    }
  }
  return problems;
}
