import { hostname } from 'node:os';
import { Command } from 'commander';
import { loadOperatorConfigFile, parseOperatorConfig, type OperatorConfig } from '../config/operator-config.js';
import { AdmissionWebhook } from '../controllers/webhook/admission-webhook.js';
import { createRootLogger } from '../logging/logger.js';
import { createKubeClients, loadKubeConfig } from '../runtime/kube-client.js';
import { LeaderElector } from '../runtime/leader-election.js';

export interface WebhookCommandOptions {
  kubeconfig?: string;
  config?: string;
  watchNamespace?: string;
  leaderElect: boolean;
  logLevel?: string;
}

/**
 * Runs the admission webhook alone: the HTTPS server with the Registry-fed allow list, its
 * certificate from files or the Secret, and (unless `admission.webhook.register` is false) the
 * Secret and ValidatingWebhookConfiguration, kept by this process or, with --leader-elect, by
 * the leader of its replicas. Resolves once stopped by SIGTERM/SIGINT.
 */
export async function runWebhook(options: WebhookCommandOptions): Promise<void> {
  const config: OperatorConfig = options.config ? await loadOperatorConfigFile(options.config) : parseOperatorConfig({});
  const logger = createRootLogger(options.logLevel ? { level: options.logLevel } : {});
  const clients = createKubeClients(loadKubeConfig(options.kubeconfig ? { kubeconfigPath: options.kubeconfig } : {}));
  const webhook = new AdmissionWebhook({
    config,
    clients,
    logger,
    ...(options.config && { configFile: options.config }),
    ...(options.watchNamespace && { watchNamespace: options.watchNamespace }),
  });
  const elector = options.leaderElect
    ? new LeaderElector(
        { namespace: config.namespace, leaseName: 'dockmaster-webhook', identity: process.env.POD_NAME ?? `${hostname()}-${process.pid}` },
        clients,
        { onStartedLeading: () => webhook.startLeading(), onStoppedLeading: () => webhook.stopLeading() },
        logger.child({ component: 'leader-election' }),
      )
    : undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const started = webhook.start();
  if (elector) elector.start();
  else webhook.startLeading();
  await Promise.race([started, stopped]);
  const signal = await stopped;
  logger.info({ signal }, 'Received signal; stopping');
  await elector?.stop();
  await webhook.stop();
  logger.info({}, 'Stopped the webhook');
}

export function registerWebhookCommand(program: Command): void {
  program
    .command('webhook')
    .description('Run only the admission webhook server (allow list fed by Registries; certificate Secret and webhook configuration kept up to date).')
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)')
    .option('--config <path>', 'operator configuration file (YAML or JSON); admission settings are reloaded when it changes')
    .option('--watch-namespace <namespace>', 'read Registries of this namespace only (default: all)')
    .option('--leader-elect', 'several replicas: only the leader writes the Secret and the webhook configuration', false)
    .option('--log-level <level>', 'pino log level (default info, or $DOCKMASTER_LOG_LEVEL)')
    .action(async (options: WebhookCommandOptions) => {
      await runWebhook(options);
    });
}
