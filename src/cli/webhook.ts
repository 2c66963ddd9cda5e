import { Option, type Command } from 'commander';
import { portNumber } from './operator.js';
import type { WebhookRunOptions } from '../operator/run-webhook.js';

export function registerWebhookCommand(program: Command): void {
  program
    .command('webhook')
    .description('Run only the admission webhook server (allow list fed by Registries; certificate Secret and webhook configuration kept up to date).')
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)')
    .option('--config <path>', 'operator configuration file (YAML or JSON); admission settings are reloaded when it changes')
    .option('--watch-namespace <namespaces>', 'read Registries of these namespaces only, comma-separated (default: watchNamespaces of the configuration, else all)')
    .option('--leader-elect', 'several replicas: only the leader writes the Secret and the webhook configuration', false)
    .option('--log-level <level>', 'pino log level (default info, or $DOCKMASTER_LOG_LEVEL)')
    .option('--health-address <address>', 'address of the health and metrics server', '0.0.0.0')
    .addOption(new Option('--health-port <port>', 'serve /healthz, /readyz and /metrics on this port (plain HTTP)').argParser(portNumber))
    .action(async (options: WebhookRunOptions) => {
      const { runWebhook } = await import('../operator/run-webhook.js');
      await runWebhook(options);
    });
}
