/**
 * Least privilege, proven by every end-to-end test: the operator under test authenticates as the
 * `dockmaster-system/dockmaster` ServiceAccount with exactly the RBAC of `deploy/`, never as
 * admin. A verb the manifests lack makes the test that needs it fail with "forbidden".
 */
import type { ControlPlaneAccess } from '../controlplane/control-plane-access.js';
import { kubectl } from '../controlplane/kubectl.js';

export const OPERATOR_NAMESPACE = 'dockmaster-system';
export const OPERATOR_SERVICE_ACCOUNT = 'dockmaster';

const applied = new Map<string, Promise<void>>();

/** `kubectl apply -k deploy/` once per control plane and worker; retried on apply races between workers. */
async function applyDeploy(plane: ControlPlaneAccess): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const result = await kubectl(plane.kubeconfigPath, ['apply', '-k', 'deploy/']);
    if (result.exitCode === 0) return;
    last = result.stderr;
    await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
  }
  throw new Error(`kubectl apply -k deploy/ failed: ${last}`);
}

/**
 * A kubeconfig for the operator under test: deploy/ applied (CRDs, ServiceAccount, ClusterRole,
 * bindings, the leader-election Role) and a token of its ServiceAccount.
 */
export async function operatorKubeconfigUnderDeployRbac(plane: ControlPlaneAccess): Promise<string> {
  let ready = applied.get(plane.server);
  if (!ready) {
    ready = applyDeploy(plane);
    applied.set(plane.server, ready);
  }
  await ready;
  const { kubeconfigPath } = await plane.mintServiceAccountToken(OPERATOR_NAMESPACE, OPERATOR_SERVICE_ACCOUNT, { expirationSeconds: 3600 });
  return kubeconfigPath;
}
