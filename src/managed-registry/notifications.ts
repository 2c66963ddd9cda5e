/**
 * A managed registry's notification endpoint: its pull events go to the operator's receiver,
 * authenticated with a token of its own. distribution cannot read a Secret, and the endpoint
 * list (with the token in a header) must not sit in the ConfigMap, so the whole list is a key of
 * the Registry's http Secret, given to distribution as REGISTRY_NOTIFICATIONS_ENDPOINTS (its env
 * override parses the value as YAML into the field, measured on 2.8.2 and 3.1.2).
 */
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';

export const NOTIFICATIONS_TOKEN_KEY = 'notifications-token';
export const NOTIFICATIONS_ENDPOINTS_KEY = 'notifications-endpoints';
export const NOTIFICATIONS_ENV = 'REGISTRY_NOTIFICATIONS_ENDPOINTS';

export function generateNotificationsToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The receiver's route (pull-tracking/receiver.ts), and its path for one Registry. */
export const PULL_RECEIVER_ROUTE = '/pulls/:namespace/:name';
export const pullReceiverPath = (namespace: string, name: string): string => PULL_RECEIVER_ROUTE.replace(':namespace', namespace).replace(':name', name);

/**
 * distribution's notifications.endpoints: pulls of manifests only. Pushes and deletes are ignored
 * by action, blobs by media type (distribution reports them as application/octet-stream).
 */
export function notificationEndpointsYaml(receiverURL: string, namespace: string, name: string, token: string): string {
  return stringify(
    [
      {
        name: 'dockmaster-pulls',
        url: `${receiverURL.replace(/\/$/, '')}${pullReceiverPath(namespace, name)}`,
        headers: { Authorization: [`Bearer ${token}`] },
        timeout: '2s',
        threshold: 3,
        backoff: '5s',
        ignoredmediatypes: ['application/octet-stream'],
        ignore: { actions: ['push', 'delete', 'mount'] },
      },
    ],
    { lineWidth: 0 },
  );
}
