import type { KubernetesObject } from '@kubernetes/client-node';
import { loadKubeConfig, serverSideApply } from '../../../../src/runtime/kube-client.js';
import { Manager } from '../../../../src/runtime/manager.js';
import { RESOURCES } from '../../../../src/runtime/resources.js';
import { silentLogger } from '../../../../src/logging/logger.js';
import { createRegistryController } from '../../../../src/controllers/registry/controller.js';
import { probeRegistryV2 } from '../../../../src/controllers/registry/endpoint-probe.js';
import { startStandInKubelet, type StandInKubelet } from '../../../kubelet/stand-in-kubelet.js';
import { startControlPlane, type ControlPlane } from '../../../controlplane/control-plane.js';
import { operatorKubeconfigUnderDeployRbac } from '../../least-privilege.js';
import { ensureNamespace } from '../../runtime/wait.js';
import { installRegistryCrd } from './registry-crd.js';

export { resolveThroughStandIn } from '../../../kubelet/operator-seams.js';
import { resolveThroughStandIn } from '../../../kubelet/operator-seams.js';
import { createTestKubeClients, type TestKubeClients } from '../../../harness/typed-clients.js';

export interface OperatorUnderTest {
  plane: ControlPlane;
  /** A client of the "user" (admin; not counted as the operator's requests). */
  user: TestKubeClients;
  manager: Manager;
  kubelet: StandInKubelet;
  namespace: string;
  applyAsUser(object: KubernetesObject): Promise<void>;
  stop(): Promise<void>;
}

export async function startOperatorUnderTest(namespace: string, options: { probeIntervalMs?: number } = {}): Promise<OperatorUnderTest> {
  const plane = await startControlPlane();
  const adminConfig = loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath });
  const user = createTestKubeClients(adminConfig);
  await installRegistryCrd(user);
  await ensureNamespace(user, namespace);
  // The operator runs as deploy/'s ServiceAccount: a verb deploy/rbac.yaml lacks fails the test.
  const kubeConfig = loadKubeConfig({ kubeconfigPath: await operatorKubeconfigUnderDeployRbac(plane) });
  const manager = new Manager({
    kubeConfig,
    logger: silentLogger(),
    namespaces: [namespace],
    leaderElection: false,
    controllers: [
      createRegistryController({
        resolveEndpoint: resolveThroughStandIn,
        probe: (url) => probeRegistryV2(url),
        probeIntervalMs: options.probeIntervalMs ?? 2_000,
      }),
    ],
  });
  await manager.start();
  const kubelet = await startStandInKubelet({ kubeConfig: adminConfig, namespace, pollIntervalMs: 250 });
  return {
    plane,
    user,
    manager,
    kubelet,
    namespace,
    async applyAsUser(object) {
      const resource = object.kind === 'Registry' ? RESOURCES.registry : object.kind === 'Secret' ? RESOURCES.secret : undefined;
      if (!resource) throw new Error(`applyAsUser: unsupported kind ${object.kind}`);
      await serverSideApply(user, resource, { ...object, metadata: { ...object.metadata, namespace } }, { fieldManager: 'kubectl-test-user', force: true });
    },
    async stop() {
      await kubelet.stop();
      await manager.stop();
      await plane.stop();
    },
  };
}
