import { Command, InvalidArgumentError, Option } from 'commander';
import type { OperatorRunOptions } from '../operator/run-operator.js';

export function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be a port number from 0 to 65535');
  return port;
}

export function registerOperatorCommand(program: Command): void {
  program
    .command('operator', { isDefault: true })
    .description('Run the controllers (Registry, RetentionPolicy, GC windows) and the admission webhook, with leader election, health and metrics endpoints.')
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)')
    .option('--config <path>', 'operator configuration file (YAML or JSON)')
    .option('--watch-namespace <namespaces>', 'watch only these namespaces, comma-separated (default: watchNamespaces of the configuration, else all)')
    .option('--health-address <address>', 'address of the health and metrics server', '0.0.0.0')
    .addOption(new Option('--health-port <port>', 'port of the health and metrics server').default(8080).argParser(portNumber))
    .option('--no-leader-elect', 'run without leader election (a single replica only)')
    .option('--log-level <level>', 'pino log level (default info, or $DOCKMASTER_LOG_LEVEL)')
    .action(async (options: OperatorRunOptions) => {
      // Loaded on use: the other subcommands never pay for the Kubernetes client and the controllers.
      const { runOperator } = await import('../operator/run-operator.js');
      await runOperator(options);
    });
}
