/**
 * The operator's Registry and RetentionPolicy controllers in-process against the shared control
 * plane, authenticated as deploy/'s ServiceAccount (least privilege), with the stand-in kubelet
 * running the registries as local docker-registry processes.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { createRegistryController } from '../../../../src/controllers/registry/controller.js';
import { probeRegistryV2 } from '../../../../src/controllers/registry/endpoint-probe.js';
import { RegistryMaintenanceLocks } from '../../../../src/managed-registry/maintenance-locks.js';
import { createRetentionPolicyController } from '../../../../src/controllers/retention-policy/controller.js';
import { AddressPolicy, externalRegistriesConfigSchema } from '../../../../src/registry/client/index.js';
import { silentLogger } from '../../../../src/logging/logger.js';
import { loadKubeConfig, serverSideApply } from '../../../../src/runtime/kube-client.js';
import { Manager } from '../../../../src/runtime/manager.js';
import { RuntimeMetrics } from '../../../../src/runtime/metrics.js';
import { objectPath, RESOURCES } from '../../../../src/runtime/resources.js';
import { sharedControlPlane } from '../../../controlplane/shared.js';
import { startStandInKubelet, type StandInKubelet } from '../../../kubelet/stand-in-kubelet.js';
import { operatorKubeconfigUnderDeployRbac } from '../../least-privilege.js';
import { resolveThroughStandIn } from '../registry/operator-under-test.js';
import { ensureNamespace } from '../../runtime/wait.js';
import type { RetentionRunsConfig } from '../../../../src/retention/run-slots-config.js';

export { resolveRegistryThroughStandIn } from '../../../kubelet/operator-seams.js';
import { resolveRegistryThroughStandIn, resolveReplicasThroughStandIn } from '../../../kubelet/operator-seams.js';
import type { PullCanary } from '../../../../src/pull-tracking/canary.js';
import { createTestKubeClients, type TestKubeClients } from '../../../harness/typed-clients.js';

export interface RetentionOperator {
  /** Admin ("the user"). */
  user: TestKubeClients;
  manager: Manager;
  metrics: RuntimeMetrics;
  kubelet: StandInKubelet;
  namespace: string;
  /** Server-side applies as the user, in `namespace` unless the object names another. */
  apply(object: KubernetesObject): Promise<void>;
  /** Merge-patches the status subresource as an admin would (to stand in for the GC controller). */
  patchStatus(resource: typeof RESOURCES.registry | typeof RESOURCES.retentionPolicy, name: string, status: unknown): Promise<void>;
  stop(): Promise<void>;
}

export interface RetentionOperatorOptions {
  /** More namespaces the operator watches (the stand-in kubelet serves `namespace` only). */
  extraNamespaces?: string[];
  /** Run slots (the admin's `retention` section); the defaults otherwise. */
  runSlots?: RetentionRunsConfig;
  /** Pull tracking: registries send their pull events to this receiver base URL. */
  pullTrackingReceiverURL?: string;
  /** With pull tracking: the canary, pulling from each registry process the stand-in runs. */
  pullCanary?: PullCanary;
}

export async function startRetentionOperator(namespace: string, options: RetentionOperatorOptions = {}): Promise<RetentionOperator> {
  const plane = sharedControlPlane();
  const adminConfig = loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath });
  const user = createTestKubeClients(adminConfig);
  const operatorKubeconfig = await operatorKubeconfigUnderDeployRbac(plane);
  for (const ns of [namespace, ...(options.extraNamespaces ?? [])]) await ensureNamespace(user, ns);
  const metrics = new RuntimeMetrics();
  const locks = new RegistryMaintenanceLocks();
  const manager = new Manager({
    kubeConfig: loadKubeConfig({ kubeconfigPath: operatorKubeconfig }),
    logger: silentLogger(),
    namespaces: [namespace, ...(options.extraNamespaces ?? [])],
    leaderElection: false,
    metrics,
    controllers: [
      createRegistryController({
        resolveEndpoint: resolveThroughStandIn,
        probe: (url) => probeRegistryV2(url),
        probeIntervalMs: 2_000,
        ...(options.pullTrackingReceiverURL && { pullTracking: { receiverURL: options.pullTrackingReceiverURL } }),
        ...(options.pullCanary && { pullCanary: { canary: options.pullCanary, resolveReplicas: resolveReplicasThroughStandIn } }),
      }),
      createRetentionPolicyController({
        locks,
        resolveRegistry: resolveRegistryThroughStandIn,
        metricsRegistry: metrics.registry,
        blockedRetryMs: 1_000,
        // The test registries listen on this machine's loopback, which the default policy refuses:
        // allowed here as an admin allows a registry on the node (externalRegistries.allowedCidrs).
        addressPolicy: new AddressPolicy(externalRegistriesConfigSchema.parse({ allowedCidrs: ['127.0.0.1/32'] })),
        ...(options.runSlots && { runSlots: options.runSlots }),
      }),
    ],
  });
  await manager.start();
  const kubelet = await startStandInKubelet({ kubeConfig: adminConfig, namespace, pollIntervalMs: 250 });
  const resources: Record<string, typeof RESOURCES[keyof typeof RESOURCES]> = {
    Registry: RESOURCES.registry,
    RetentionPolicy: RESOURCES.retentionPolicy,
    Secret: RESOURCES.secret,
  };
  return {
    user,
    manager,
    metrics,
    kubelet,
    namespace,
    async apply(object) {
      const resource = resources[object.kind ?? ''];
      if (!resource) throw new Error(`apply: unsupported kind ${object.kind}`);
      const metadata = { ...object.metadata, namespace: object.metadata?.namespace ?? namespace };
      await serverSideApply(user, resource, { ...object, metadata }, { fieldManager: 'kubectl-test-user', force: true });
    },
    async patchStatus(resource, name, status) {
      await user.requestJson('PATCH', objectPath(resource, namespace, name, 'status'), { body: { status }, contentType: 'application/merge-patch+json' });
    },
    async stop() {
      await kubelet.stop();
      await manager.stop();
    },
  };
}
