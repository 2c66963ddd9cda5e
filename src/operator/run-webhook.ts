/**
 * The wiring of `dockmaster webhook`: the admission webhook alone, as its own Deployment runs
 * it. cli/webhook.ts only parses flags and calls runWebhook.
 */
import { AdmissionWebhook } from '../admission/webhook/admission-webhook.js';
import { loadOperatorConfigFile, parseOperatorConfig, watchedNamespaces, type OperatorConfig } from '../config/operator-config.js';
import { createCommandLogger } from '../logging/logger.js';
import { buildHealthServer } from '../runtime/health.js';
import { createKubeClients, loadKubeConfig } from '../runtime/kube-client.js';
import { RuntimeMetrics } from '../runtime/metrics.js';
import { leaseIdentity, WEBHOOK_LEASE_NAME } from './leases.js';

export interface WebhookRunOptions {
  kubeconfig?: string;
  config?: string;
  watchNamespace?: string;
  leaderElect: boolean;
  logLevel?: string;
  /** /healthz, /readyz and /metrics on plain HTTP (the kubelet's probes, Prometheus); none when absent. */
  healthPort?: number;
  healthAddress?: string;
}

/**
 * Runs the admission webhook alone: the HTTPS server with the Registry-fed allow list, its
 * certificate from files or the Secret, and (unless `admission.webhook.register` is false) the
 * Secret and ValidatingWebhookConfiguration, kept by this process or, with --leader-elect, by
 * the leader of its replicas. Resolves once stopped by SIGTERM/SIGINT.
 */
export async function runWebhook(options: WebhookRunOptions): Promise<void> {
  const config: OperatorConfig = options.config ? await loadOperatorConfigFile(options.config) : parseOperatorConfig({});
  const logger = await createCommandLogger(options.logLevel ? { level: options.logLevel } : {});
  const metrics = new RuntimeMetrics({ defaultMetrics: true });
  const clients = createKubeClients(loadKubeConfig(options.kubeconfig ? { kubeconfigPath: options.kubeconfig } : {}), metrics.observeApiRequest);
  const webhook = new AdmissionWebhook({
    config,
    clients,
    logger,
    metricsRegistry: metrics.registry,
    leaderElection: options.leaderElect ? { namespace: config.namespace, leaseName: WEBHOOK_LEASE_NAME, ...leaseIdentity() } : false,
    ...(options.config && { configFile: options.config, loadConfigFile: loadOperatorConfigFile }),
    watchNamespaces: watchedNamespaces(options.watchNamespace, config),
  });
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  // Ready only once the webhook serves with its caches synced (Registries, Namespaces, its Secret).
  const health = options.healthPort === undefined ? undefined : buildHealthServer({ metrics, isReady: () => webhook.isReady() });
  await health?.listen({ host: options.healthAddress ?? '0.0.0.0', port: options.healthPort ?? 0 });
  if (health) logger.info({ address: health.server.address() }, 'Serving /healthz, /readyz and /metrics');
  try {
    await Promise.race([webhook.start(), stopped]);
  } catch (error) {
    // A port taken or a certificate never readable: stop what started, or its watches and timers
    // would keep a process alive that never serves and ignores SIGTERM (the handlers above were
    // only read here).
    await webhook.stop().catch(() => undefined);
    await health?.close();
    throw error;
  }
  const signal = await stopped;
  logger.info({ signal }, 'Received signal; stopping');
  await webhook.stop();
  await health?.close();
  logger.info({}, 'Stopped the webhook');
}
