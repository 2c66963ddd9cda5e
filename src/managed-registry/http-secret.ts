import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { childMetadata, type RegistryIdentity } from './children.js';
import { HTTP_SECRET_PROXY_PASSWORD_KEY, HTTP_SECRET_PROXY_USERNAME_KEY } from './mirror.js';
import { generateNotificationsToken, notificationEndpointsYaml, NOTIFICATIONS_ENDPOINTS_KEY, NOTIFICATIONS_TOKEN_KEY } from './notifications.js';

/** Key of the http Secret holding distribution's `http.secret` value. */
export const HTTP_SECRET_KEY = 'http-secret';
/** Env var distribution reads over `http.secret` in the config file. */
export const HTTP_SECRET_ENV = 'REGISTRY_HTTP_SECRET';

/** 32 random bytes, base64: distribution signs upload state with it (HMAC). */
export function generateHttpSecretValue(): string {
  return randomBytes(32).toString('base64');
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/**
 * The http Secret. `existingValue` (base64 data as read from the cluster) is kept when present:
 * a new value on every reconcile would roll the pods forever and break uploads in flight. With
 * pull tracking on (`receiverURL`), it also holds the Registry's notifications token (kept like
 * the http secret) and the endpoint list that carries it (notifications.ts).
 */
export function buildHttpSecret(
  owner: RegistryIdentity,
  secretName: string,
  existingValue: string | undefined,
  generate: () => string = generateHttpSecretValue,
  pullTracking?: { receiverURL: string; existingToken: string | undefined },
  proxyCredentials?: { username: string; password: string },
): V1Secret {
  const data: Record<string, string> = { [HTTP_SECRET_KEY]: existingValue ?? base64(generate()) };
  if (pullTracking) {
    const token = pullTracking.existingToken ? Buffer.from(pullTracking.existingToken, 'base64').toString('utf8') : generateNotificationsToken();
    data[NOTIFICATIONS_TOKEN_KEY] = base64(token);
    data[NOTIFICATIONS_ENDPOINTS_KEY] = base64(notificationEndpointsYaml(pullTracking.receiverURL, owner.namespace, owner.name, token));
  }
  if (proxyCredentials) {
    data[HTTP_SECRET_PROXY_USERNAME_KEY] = base64(proxyCredentials.username);
    data[HTTP_SECRET_PROXY_PASSWORD_KEY] = base64(proxyCredentials.password);
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: childMetadata(owner, secretName),
    type: 'Opaque',
    data,
  };
}
