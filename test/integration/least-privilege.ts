/**
 * Least privilege, proven by every end-to-end test: the operator under test authenticates as the
 * `dockmaster-system/dockmaster` ServiceAccount with exactly the RBAC of `deploy/`, never as
 * admin. A verb the manifests lack makes the test that needs it fail with "forbidden".
 */
import type { ControlPlaneAccess } from '../controlplane/control-plane-access.js';
import { kubectl } from '../controlplane/kubectl.js';

export const OPERATOR_NAMESPACE = 'dockmaster-system';
export const OPERATOR_SERVICE_ACCOUNT = 'dockmaster';
export const WEBHOOK_SERVICE_ACCOUNT = 'dockmaster-webhook';
/** deploy/ minus its ValidatingWebhookConfiguration (see the kustomization's comment). */
const DEPLOY_WITHOUT_WEBHOOK_CONFIGURATION = 'test/integration/deploy/without-webhook-configuration';

const applied = new Map<string, Promise<void>>();

/** deploy/ applied once per control plane and worker; retried on apply races between workers. */
async function applyDeploy(plane: ControlPlaneAccess): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const result = await kubectl(plane.kubeconfigPath, ['apply', '-k', DEPLOY_WITHOUT_WEBHOOK_CONFIGURATION]);
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
  return kubeconfigUnderDeployRbac(plane, OPERATOR_SERVICE_ACCOUNT);
}

/** The same for the admission webhook, which runs as a ServiceAccount of its own. */
export async function webhookKubeconfigUnderDeployRbac(plane: ControlPlaneAccess): Promise<string> {
  return kubeconfigUnderDeployRbac(plane, WEBHOOK_SERVICE_ACCOUNT);
}

async function kubeconfigUnderDeployRbac(plane: ControlPlaneAccess, serviceAccount: string): Promise<string> {
  let ready = applied.get(plane.server);
  if (!ready) {
    ready = applyDeploy(plane);
    applied.set(plane.server, ready);
  }
  await ready;
  const { kubeconfigPath } = await plane.mintServiceAccountToken(OPERATOR_NAMESPACE, serviceAccount, { expirationSeconds: 3600 });
  return kubeconfigPath;
}
