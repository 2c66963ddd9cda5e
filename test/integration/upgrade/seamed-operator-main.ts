/**
 * The operator's controllers of the source tree DM_ROOT (this checkout, or a worktree of an older
 * release), as a process with leader election on Lease dockmaster-operator, the way
 * `dockmaster operator` runs them, plus the stand-in kubelet's seams (Service DNS, pod IPs and
 * pods/log do not exist here; see test/kubelet/operator-seams.ts). Both releases have the same
 * entry points, so one script runs either. Env: DM_ROOT, DM_KUBECONFIG, DM_CONFIG, DM_IDENTITY.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.env.DM_ROOT ?? '';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- modules of another release: their types are not this tree's
const load = async (file: string): Promise<any> => import(pathToFileURL(path.join(root, file)).href);

const { parseOperatorConfig } = await load('src/config/operator-config.ts');
const { createOperatorControllers } = await load('src/operator/controllers.ts');
const { Manager } = await load('src/runtime/manager.ts');
const { RuntimeMetrics } = await load('src/runtime/metrics.ts');
const { loadKubeConfig } = await load('src/runtime/kube-client.ts');
const { createRootLogger } = await load('src/logging/logger.ts');
const { probeRegistryV2 } = await load('src/controllers/registry/endpoint-probe.ts');
const seams = await load('test/kubelet/operator-seams.ts');
const { parse } = await import('yaml');

const config = parseOperatorConfig(parse(await readFile(process.env.DM_CONFIG ?? '', 'utf8')));
const metrics = new RuntimeMetrics();
const manager = new Manager({
  kubeConfig: loadKubeConfig({ kubeconfigPath: process.env.DM_KUBECONFIG }),
  logger: createRootLogger({ level: 'warn' }),
  metrics,
  leaderElection: { namespace: config.namespace, leaseName: 'dockmaster-operator', identity: process.env.DM_IDENTITY ?? 'operator' },
  controllers: createOperatorControllers({
    metricsRegistry: metrics.registry,
    admissionSources: config.admission.registries,
    externalRegistries: config.externalRegistries,
    seams: {
      registry: { resolveEndpoint: seams.resolveThroughStandIn, probe: (url: string) => probeRegistryV2(url), probeIntervalMs: 2_000 },
      retention: { resolveRegistry: seams.resolveRegistryThroughStandIn, blockedRetryMs: 1_000 },
      garbageCollection: { resolveReplicas: seams.resolveReplicasThroughStandIn, readJobOutput: seams.readJobOutputAnnotation, timing: { retentionRetryMs: 1_000, verifyRetryMs: 500, jobPollMs: 500 } },
    },
  }),
});
manager.stopOnSignals(() => process.exit(0));
await manager.start();
process.stdout.write('seamed-operator: started\n');
