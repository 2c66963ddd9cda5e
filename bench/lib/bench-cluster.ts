import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { startControlPlane, type ControlPlane } from '../../test/controlplane/control-plane.js';
import { kubectlOk } from '../../test/controlplane/kubectl.js';
import { AdminClient } from './admin-client.js';
import { accessFromKubeconfig, ApiServerUserRequests } from './apiserver-user-requests.js';
import { log } from './bench-output.js';

/**
 * A control plane of the bench's own, ready for an operator that runs as a user of its own:
 * the CRDs, deploy/rbac.yaml's roles bound to that user (least privilege, as shipped: the operator's
 * and, for an operator that runs the webhook in its process, the webhook's; namespaced Roles in
 * `operatorNamespace`), the namespaces, and the FlowSchemas that make the apiserver count that
 * user's requests.
 */

export const OPERATOR_USER = 'dockmaster-bench-operator';

export interface BenchCluster {
  plane: ControlPlane;
  admin: AdminClient;
  /** Kubeconfig of OPERATOR_USER (a client certificate). */
  operatorKubeconfig: string;
  operatorRequests: ApiServerUserRequests;
  stop(): Promise<void>;
}

export async function startBenchCluster(options: { namespaces: readonly string[]; operatorNamespace?: string }): Promise<BenchCluster> {
  const plane = await startControlPlane({ log: (line) => log(`[controlplane] ${line}`) });
  const admin = new AdminClient({ server: plane.server, caPem: plane.caPem, credentials: { certPem: plane.adminCert, keyPem: plane.adminKey } });
  try {
    await kubectlOk(plane.kubeconfigPath, ['apply', '-f', 'crds/dockmaster.dev_registries.yaml', '-f', 'crds/dockmaster.dev_retentionpolicies.yaml']);
    await kubectlOk(plane.kubeconfigPath, ['wait', '--for=condition=Established', 'crd/registries.dockmaster.dev', 'crd/retentionpolicies.dockmaster.dev', '--timeout=60s']);
    // The control plane's --service-cluster-ip-range is a /24 (253 Services) and every Registry
    // has a ClusterIP Service: past 253 the apiserver answers 500 "range is full". A second
    // ServiceCIDR (GA in 1.33, used by the apiserver's allocator without kube-controller-manager)
    // widens it without touching the shared harness.
    await admin.request('POST', '/apis/networking.k8s.io/v1/servicecidrs', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'ServiceCIDR',
      metadata: { name: 'dm-bench' },
      spec: { cidrs: ['10.1.0.0/20'] },
    });
    const subjects = [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: OPERATOR_USER }];
    const shipped = await shippedRoles();
    for (const clusterRole of shipped.clusterRoles) {
      await admin.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', clusterRole);
      await admin.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `${OPERATOR_USER}-${clusterRole.metadata.name}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole.metadata.name },
        subjects,
      });
    }
    for (const name of options.namespaces) {
      await admin.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    const roleNamespace = options.operatorNamespace;
    for (const role of roleNamespace === undefined ? [] : shipped.roles) {
      await admin.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${roleNamespace}/roles`, { ...role, metadata: { ...role.metadata, namespace: roleNamespace } });
      await admin.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${roleNamespace}/rolebindings`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: `${OPERATOR_USER}-${role.metadata.name}`, namespace: roleNamespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
        subjects,
      });
    }
    const operatorKubeconfig = await plane.mintUser(OPERATOR_USER);
    const operatorRequests = new ApiServerUserRequests({ server: plane.server, caPem: plane.caPem, credentials: { certPem: plane.adminCert, keyPem: plane.adminKey } }, OPERATOR_USER);
    await operatorRequests.install();
    await operatorRequests.waitUntilCounting(await accessFromKubeconfig(operatorKubeconfig));
    return {
      plane,
      admin,
      operatorKubeconfig,
      operatorRequests,
      async stop() {
        admin.close();
        await plane.stop();
      },
    };
  } catch (error) {
    admin.close();
    await plane.stop();
    throw error;
  }
}

interface ShippedRole {
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** The ClusterRoles and Roles exactly as deploy/rbac.yaml ships them (its bindings name ServiceAccounts, not our user). */
async function shippedRoles(): Promise<{ clusterRoles: ShippedRole[]; roles: ShippedRole[] }> {
  const documents = parseAllDocuments(await readFile('deploy/rbac.yaml', 'utf8'));
  const objects = (Array.isArray(documents) ? documents : [documents]).map((document) => document.toJS() as ShippedRole | null);
  const clusterRoles = objects.filter((o): o is ShippedRole => o?.kind === 'ClusterRole');
  if (clusterRoles.length === 0) throw new Error('deploy/rbac.yaml holds no ClusterRole');
  return { clusterRoles, roles: objects.filter((o): o is ShippedRole => o?.kind === 'Role') };
}
