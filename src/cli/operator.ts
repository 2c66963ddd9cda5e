import { Command, InvalidArgumentError, Option } from 'commander';
import { AdmissionWebhook } from '../controllers/webhook/admission-webhook.js';
import { webhookEnabledInOperator } from '../controllers/webhook/webhook-configuration-spec.js';
import { loadOperatorConfigFile, parseOperatorConfig, type OperatorConfig } from '../config/operator-config.js';
import { createRootLogger } from '../logging/logger.js';
import { createOperatorControllers } from '../operator/controllers.js';
import { buildHealthServer } from '../runtime/health.js';
import { loadKubeConfig } from '../runtime/kube-client.js';
import { Manager } from '../runtime/manager.js';
import { RuntimeMetrics } from '../runtime/metrics.js';

export interface OperatorCommandOptions {
  kubeconfig?: string;
  config?: string;
  watchNamespace?: string;
  healthAddress: string;
  healthPort: number;
  leaderElect: boolean;
  logLevel?: string;
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be a port number from 0 to 65535');
  return port;
}

/**
 * Runs the controllers until SIGTERM/SIGINT: informers, leader election on a Lease in the
 * operator's namespace, and /healthz, /readyz, /metrics. Resolves once stopped.
 */
export async function runOperator(options: OperatorCommandOptions): Promise<void> {
  const config: OperatorConfig = options.config ? await loadOperatorConfigFile(options.config) : parseOperatorConfig({});
  const logger = createRootLogger(options.logLevel ? { level: options.logLevel } : {});
  const metrics = new RuntimeMetrics({ defaultMetrics: true });
  // The webhook serves on every replica; the leader also keeps its Secret and configuration.
  let webhook: AdmissionWebhook | undefined;
  const manager = new Manager({
    onStartedLeading: () => webhook?.startLeading(),
    onStoppedLeading: () => void webhook?.stopLeading(),
    kubeConfig: loadKubeConfig(options.kubeconfig ? { kubeconfigPath: options.kubeconfig } : {}),
    logger,
    metrics,
    ...(options.watchNamespace ? { namespace: options.watchNamespace } : {}),
    controllers: createOperatorControllers({ metricsRegistry: metrics.registry }),
    leaderElection: options.leaderElect
      ? { namespace: config.namespace, leaseName: 'dockmaster-operator', ...(process.env.POD_NAME ? { identity: process.env.POD_NAME } : {}) }
      : false,
  });
  if (webhookEnabledInOperator(config, { kubeconfigFlag: Boolean(options.kubeconfig), env: process.env })) {
    webhook = new AdmissionWebhook({ config, clients: manager.clients, logger, metricsRegistry: metrics.registry, ...(options.config && { configFile: options.config }), ...(options.watchNamespace && { watchNamespace: options.watchNamespace }) });
    webhook.start().catch((err: unknown) => logger.error({ err }, 'Failed to start the admission webhook; this replica stays not ready'));
  }
  const health = buildHealthServer({ metrics, isReady: () => manager.isReady() && (webhook?.isReady() ?? true) });
  await health.listen({ host: options.healthAddress, port: options.healthPort });
  logger.info({ address: health.server.address() }, 'Serving /healthz, /readyz and /metrics');
  const stopped = new Promise<void>((resolve) => manager.stopOnSignals(resolve));
  await manager.start();
  logger.info({ identity: manager.identity }, 'Started the operator');
  await stopped;
  await webhook?.stop();
  await health.close();
  logger.info('Stopped the operator');
}

export function registerOperatorCommand(program: Command): void {
  program
    .command('operator', { isDefault: true })
    .description('Run the controllers (Registry, RetentionPolicy, GC windows) and the admission webhook, with leader election, health and metrics endpoints.')
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)')
    .option('--config <path>', 'operator configuration file (YAML or JSON)')
    .option('--watch-namespace <namespace>', 'watch only this namespace (default: all)')
    .option('--health-address <address>', 'address of the health and metrics server', '0.0.0.0')
    .addOption(new Option('--health-port <port>', 'port of the health and metrics server').default(8080).argParser(portNumber))
    .option('--no-leader-elect', 'run without leader election (a single replica only)')
    .option('--log-level <level>', 'pino log level (default info, or $DOCKMASTER_LOG_LEVEL)')
    .action(async (options: OperatorCommandOptions) => {
      await runOperator(options);
    });
}
