/**
 * `dockmaster admit`: its options only. The implementation (admit.ts: the admission policy, the
 * YAML parser, the zod schemas) is loaded when the command runs, so `--help` and `version` stay small.
 */
import { Option, type Command } from 'commander';
import { CommandExitCode, EXIT_OK } from './exit-codes.js';
import type { AdmitOptions } from './admit.js';

/** Adds `admit` to the program. */
export function registerAdmitCommand(program: Command): void {
  program
    .command('admit')
    .description('Check Pods, pod controllers or AdmissionReviews offline, as the admission webhook would.')
    .option('-f, --file <file>', 'YAML or JSON file, several documents allowed; "-" reads stdin')
    .option('--from-cluster', 'judge the Pods and pod controllers running in the cluster now (e.g. a new configuration before enforcing it)')
    .option('--kubeconfig <path>', 'kubeconfig for --from-cluster (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)')
    .option('--config <file>', 'operator configuration file (admission mode, allowed registries, exempt namespaces)')
    .option('--allow <entry>', 'allow a registry host or repository path (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (options: AdmitOptions) => {
      const { runAdmit } = await import('./admit.js');
      const code = await runAdmit(options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
      if (code !== EXIT_OK) throw new CommandExitCode(code);
    });
}
