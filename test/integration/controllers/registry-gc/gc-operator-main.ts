/**
 * The operator's Registry and garbage-collection controllers as a process of their own, so a
 * test can SIGKILL it mid-window and start another: what survives is only what the apiserver
 * holds. Runs as deploy/'s ServiceAccount (the kubeconfig the test passes). Test seams: see
 * gc-test-seams.ts. Env: GC_E2E_KUBECONFIG, GC_E2E_NAMESPACE.
 */
import { createRegistryController } from '../../../../src/controllers/registry/controller.js';
import { probeRegistryV2 } from '../../../../src/controllers/registry/endpoint-probe.js';
import { createRegistryGcController } from '../../../../src/controllers/registry-gc/controller.js';
import { RegistryMaintenanceLocks } from '../../../../src/managed-registry/maintenance-locks.js';
import { createRootLogger } from '../../../../src/logging/logger.js';
import { loadKubeConfig } from '../../../../src/runtime/kube-client.js';
import { Manager } from '../../../../src/runtime/manager.js';
import { LOCAL_URL_ANNOTATION } from '../../../kubelet/stand-in-kubelet.js';
import { readJobOutputAnnotation, resolveReplicasThroughStandIn } from './gc-test-seams.js';

const kubeconfigPath = process.env.GC_E2E_KUBECONFIG ?? '';
const namespace = process.env.GC_E2E_NAMESPACE ?? '';
const manager = new Manager({
  kubeConfig: loadKubeConfig({ kubeconfigPath }),
  logger: createRootLogger({ level: 'info' }),
  namespaces: [namespace],
  leaderElection: false,
  controllers: [
    createRegistryController({
      resolveEndpoint: (_url, deployment) => deployment?.metadata?.annotations?.[LOCAL_URL_ANNOTATION] ?? undefined,
      probe: (url) => probeRegistryV2(url),
      probeIntervalMs: 2_000,
    }),
    createRegistryGcController({
      locks: new RegistryMaintenanceLocks(),
      resolveReplicas: resolveReplicasThroughStandIn,
      readJobOutput: readJobOutputAnnotation,
      timing: { retentionRetryMs: 1_000, verifyRetryMs: 500, jobPollMs: 1_000, leaveGraceMs: 30_000, jobDeadlineMarginMs: 2_000 },
    }),
  ],
});
manager.stopOnSignals(() => process.exit(0));
await manager.start();
process.stdout.write('dockmaster-gc-e2e: ready\n');
