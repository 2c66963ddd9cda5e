import type { V1Secret } from '@kubernetes/client-node';
import type { RegistrySpec } from '../../api/registry.js';
import { TLS_CERT_KEY, TLS_KEY_KEY } from './config.js';
import { HTPASSWD_SECRET_KEY, S3_ACCESS_KEY_KEY, S3_SECRET_KEY_KEY } from './pod-storage.js';
import { isSingleWriterPvc } from './pvc.js';
import { REASON_INVALID_STORAGE, REASON_SECRET_INVALID, REASON_SECRET_MISSING } from './conditions.js';

/** Something in the spec (or what it refers to) that keeps the registry from running. */
export interface SpecProblem {
  reason: string;
  /** Says what is wrong and what the user should do about it. */
  message: string;
}

/** A Secret lookup by name in the Registry's namespace; undefined when it does not exist. */
export type SecretLookup = (name: string) => V1Secret | undefined;

interface SecretRequirement {
  name: string;
  purpose: string;
  keys: string[];
  howTo: string;
}

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
  const s3Secret = spec.storage.s3?.secretRef?.name;
  if (s3Secret) {
    required.push({
      name: s3Secret,
      purpose: 'spec.storage.s3.secretRef.name',
      keys: [S3_ACCESS_KEY_KEY, S3_SECRET_KEY_KEY],
      howTo: `kubectl create secret generic ${s3Secret} --from-literal=${S3_ACCESS_KEY_KEY}=... --from-literal=${S3_SECRET_KEY_KEY}=...`,
    });
  }
  return required;
}

/** Names of the user Secrets the Registry's pods mount or read (for watching and hashing). */
export function referencedSecretNames(spec: RegistrySpec): string[] {
  return secretRequirements(spec).map((r) => r.name);
}

function storageProblems(spec: RegistrySpec): SpecProblem[] {
  const { pvc, emptyDir, s3 } = spec.storage;
  const kinds = [pvc && 'pvc', emptyDir && 'emptyDir', s3 && 's3'].filter(Boolean);
  if (kinds.length > 1) {
    return [{
      reason: REASON_INVALID_STORAGE,
      message: `spec.storage sets ${kinds.join(' and ')}; set exactly one of pvc, emptyDir or s3.`,
    }];
  }
  if (spec.replicas > 1 && isSingleWriterPvc(spec)) {
    return [{
      reason: REASON_INVALID_STORAGE,
      message: `spec.replicas is ${spec.replicas} but the PVC is not ReadWriteMany, so only one pod can mount it; ` +
        'set spec.replicas to 1, or spec.storage.pvc.accessModes to [ReadWriteMany] with a storage class that supports it, or use s3 storage.',
    }];
  }
  if (spec.replicas > 1 && !pvc && !s3) {
    return [{
      reason: REASON_INVALID_STORAGE,
      message: `spec.replicas is ${spec.replicas} with emptyDir storage: each pod would hold different images; ` +
        'set spec.replicas to 1, or use a ReadWriteMany PVC or s3 storage.',
    }];
  }
  return [];
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
