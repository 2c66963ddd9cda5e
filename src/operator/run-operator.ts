/**
 * The one wiring place of `dockmaster operator` (kubebuilder's main.go): configuration, logger,
 * metrics, the controllers' Manager, the admission webhook in single-process mode, and the
 * health server. cli/operator.ts only parses flags and calls runOperator.
 */
import { AdmissionWebhook } from '../admission/webhook/admission-webhook.js';
import { webhookEnabledInOperator } from '../admission/webhook/webhook-configuration-spec.js';
import { loadOperatorConfigFile, parseOperatorConfig, watchedNamespaces, type OperatorConfig } from '../config/operator-config.js';
import { createCommandLogger } from '../logging/logger.js';
import type { FastifyInstance } from 'fastify';
import { buildHealthServer } from '../runtime/health.js';
import type { KubeClients } from '../runtime/kube-client.js';
import type { Logger } from '../logging/logger.js';
import type { PullTrackingConfig } from '../pull-tracking/config.js';
import { registerPullReceiver } from '../pull-tracking/receiver.js';
import { PullRecordStore } from '../pull-tracking/store.js';
import { loadKubeConfig } from '../runtime/kube-client.js';
import { Manager } from '../runtime/manager.js';
import { RuntimeMetrics } from '../runtime/metrics.js';
import { createOperatorControllers } from './controllers.js';
import { leaseIdentity, OPERATOR_LEASE_NAME, WEBHOOK_LEASE_NAME } from './leases.js';
import { RESOURCES } from '../runtime/resources.js';
import { PullCanary } from '../pull-tracking/canary.js';
import { PullTrackingMetrics } from '../pull-tracking/metrics.js';

export interface OperatorRunOptions {
  kubeconfig?: string;
  config?: string;
  watchNamespace?: string;
  healthAddress: string;
  healthPort: number;
  leaderElect: boolean;
  logLevel?: string;
}

/**
 * Runs the controllers until SIGTERM/SIGINT: informers, leader election on a Lease in the
 * operator's namespace, and /healthz, /readyz, /metrics. With the webhook enabled in this process
 * (single-process mode, for the demo and small clusters), it runs on a Manager of its own with
 * its own Lease. Resolves once stopped.
 */
export async function runOperator(options: OperatorRunOptions): Promise<void> {
  const config: OperatorConfig = options.config ? await loadOperatorConfigFile(options.config) : parseOperatorConfig({});
  const logger = await createCommandLogger(options.logLevel ? { level: options.logLevel } : {});
  const metrics = new RuntimeMetrics({ defaultMetrics: true });
  const namespaces = watchedNamespaces(options.watchNamespace, config);
  const pullMetrics = new PullTrackingMetrics(metrics.registry);
  const manager = new Manager({
    kubeConfig: loadKubeConfig(options.kubeconfig ? { kubeconfigPath: options.kubeconfig } : {}),
    logger,
    metrics,
    namespaces,
    controllers: createOperatorControllers({
      metricsRegistry: metrics.registry,
      admissionSources: config.admission.registries,
      externalRegistries: config.externalRegistries,
      retentionRuns: config.retention,
      registryDefaults: config.registries,
      watchNamespaces: namespaces,
      pullTracking: config.pullTracking,
      ...(config.pullTracking.receiverURL && {
        pullCanary: new PullCanary({ log: logger.child({ component: 'pull-canary' }), maxRecordsPerRegistry: config.pullTracking.maxRecordsPerRegistry, metrics: pullMetrics }),
      }),
    }),
    leaderElection: options.leaderElect ? { namespace: config.namespace, leaseName: OPERATOR_LEASE_NAME, ...leaseIdentity() } : false,
  });
  let webhook: AdmissionWebhook | undefined;
  if (webhookEnabledInOperator(config, { kubeconfigFlag: Boolean(options.kubeconfig), env: process.env })) {
    webhook = new AdmissionWebhook({
      config,
      clients: manager.clients,
      logger,
      metricsRegistry: metrics.registry,
      leaderElection: options.leaderElect ? { namespace: config.namespace, leaseName: WEBHOOK_LEASE_NAME, ...leaseIdentity() } : false,
      ...(options.config && { configFile: options.config, loadConfigFile: loadOperatorConfigFile }),
      watchNamespaces: namespaces,
    });
    webhook.start().catch((err: unknown) => logger.error({ err }, 'Failed to start the admission webhook; this replica stays not ready'));
  }
  const health = buildHealthServer({ metrics, isReady: () => manager.isReady() && (webhook?.isReady() ?? true) });
  const registryExists = (namespace: string, name: string): boolean => manager.cache(RESOURCES.registry).get(namespace, name) !== undefined;
  const pullTracking = config.pullTracking.receiverURL ? await startPullTracking(health, manager.clients, config.pullTracking, logger, pullMetrics, registryExists) : undefined;
  await health.listen({ host: options.healthAddress, port: options.healthPort });
  logger.info({ address: health.server.address() }, 'Serving /healthz, /readyz and /metrics');
  const stopped = new Promise<void>((resolve) => manager.stopOnSignals(resolve));
  await manager.start();
  if (manager.isReady()) logger.info({ identity: manager.identity }, 'Started the operator');
  await stopped;
  await webhook?.stop();
  await health.close();
  await pullTracking?.stop();
  logger.info('Stopped the operator');
}

/** The pull receiver on the health port, and the store's batched flushes; stop() flushes what is left. */
async function startPullTracking(
  health: FastifyInstance,
  kube: KubeClients,
  config: PullTrackingConfig,
  logger: Logger,
  metrics: PullTrackingMetrics,
  registryExists: (namespace: string, name: string) => boolean,
): Promise<{ stop(): Promise<void> }> {
  const log = logger.child({ component: 'pull-tracking' });
  const store = new PullRecordStore(kube, { maxRecordsPerRegistry: config.maxRecordsPerRegistry, log, metrics });
  await registerPullReceiver(health, { kube, store, log, metrics, registryExists });
  const timer = setInterval(() => void store.flush(), config.flushIntervalSeconds * 1000);
  timer.unref();
  log.info({ receiverURL: config.receiverURL }, 'Receiving pull events at POST /pulls/<namespace>/<name>');
  return {
    async stop() {
      clearInterval(timer);
      await store.flush();
    },
  };
}
