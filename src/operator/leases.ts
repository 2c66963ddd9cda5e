/**
 * The Leases dockmaster's processes elect leaders on, apart from run-operator.ts so that the
 * webhook process (run-webhook.ts) does not load the operator's controllers to learn a name:
 * the bundle gives each process only the code its imports reach.
 */

/** Lease of the controllers' leader; the webhook elects its own (WEBHOOK_LEASE_NAME), so neither waits on the other. */
export const OPERATOR_LEASE_NAME = 'dockmaster-operator';
export const WEBHOOK_LEASE_NAME = 'dockmaster-webhook';

/** The identity a replica campaigns with: the pod name when the Deployment passes it. */
export function leaseIdentity(): { identity: string } | Record<string, never> {
  return process.env.POD_NAME ? { identity: process.env.POD_NAME } : {};
}
