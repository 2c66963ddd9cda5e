import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { childMetadata, type RegistryIdentity } from './children.js';

/** Key of the http Secret holding distribution's `http.secret` value. */
export const HTTP_SECRET_KEY = 'http-secret';
/** Env var distribution reads over `http.secret` in the config file. */
export const HTTP_SECRET_ENV = 'REGISTRY_HTTP_SECRET';

/** 32 random bytes, base64: distribution signs upload state with it (HMAC). */
export function generateHttpSecretValue(): string {
  return randomBytes(32).toString('base64');
}

/**
 * The http Secret. `existingValue` (base64 data as read from the cluster) is kept when present:
 * a new value on every reconcile would roll the pods forever and break uploads in flight.
 */
export function buildHttpSecret(
  owner: RegistryIdentity,
  secretName: string,
  existingValue: string | undefined,
  generate: () => string = generateHttpSecretValue,
): V1Secret {
  const data = existingValue ?? Buffer.from(generate(), 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: childMetadata(owner, secretName),
    type: 'Opaque',
    data: { [HTTP_SECRET_KEY]: data },
  };
}
