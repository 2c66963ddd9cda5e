import { Command, Option } from 'commander';
import { CommandExitCode } from './exit-codes.js';
import { parseConcurrency } from './arguments.js';
import type { RetentionApplyOptions } from './retention-apply.js';
import type { RetentionPlanOptions } from './retention-plan.js';

/** The options `plan` and `apply` share. */
function withTargetOptions(command: Command): Command {
  return command
    .requiredOption('-f, --file <path>', 'RetentionPolicy manifest (YAML or JSON), the one you kubectl apply')
    .option('--registry <url>', 'registry URL (default: spec.external.url)')
    .option('--credentials <path>', 'dockerconfigjson file (~/.docker/config.json format) with the credentials')
    .option('--ca-file <path>', 'CA bundle (PEM) that signed the registry certificate')
    .option('--insecure', 'skip TLS certificate verification')
    .option('--concurrency <n>', 'most registry requests in flight (default 8)', parseConcurrency)
    .option(
      '--untag',
      'the registry removes a tag on DELETE /v2/<name>/manifests/<tag> and keeps the manifest (distribution 3.x): a tag that must go while a kept tag or index needs its manifest is untagged instead of kept. Never use it on distribution 2.x',
    )
    .option('--in-use-from-cluster', 'keep what the cluster runs: read Pods and workloads in every namespace with your kubeconfig (the CRD default spec.inUse: Keep)')
    .option('--in-use-file <path>', 'keep the image references listed in this file, separated by white space (e.g. the output of kubectl get pods -A -o jsonpath=\'{..image}\')')
    .option('--no-in-use', 'delete on the keep rules alone: nothing the cluster runs is protected (apply refuses to run without one of these three)')
    .option('--image-hosts <hosts>', 'other host[:port] names, comma-separated, that image references use for this registry (its URL\'s host always counts)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'));
}

export function registerRetentionCommand(program: Command): void {
  const retention = program.command('retention').description('Plan or apply a retention policy against a registry.');
  withTargetOptions(retention.command('plan').description('Print what a policy would delete; deletes nothing.')).action(async (options: RetentionPlanOptions) => {
    // Loaded when the command runs: the registry client and the planner are not small.
    const [{ planFromRegistry }, { renderPlanTable }] = await Promise.all([import('./retention-plan.js'), import('../retention/plan-output.js')]);
    const plan = await planFromRegistry(options);
    process.stdout.write(options.output === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : `${renderPlanTable(plan)}\n`);
  });
  withTargetOptions(
    retention
      .command('apply')
      .description('Delete by digest what a policy does not keep: prints the plan, asks for confirmation (or --yes), re-checks tags before deleting, reports.'),
  )
    .option('-y, --yes', 'delete without asking (required when stdin is not a terminal)')
    .option('--dry-run', 'print the plan and the report of a dry run; delete nothing')
    .action(async (options: RetentionApplyOptions) => {
      const { applyRetention } = await import('./retention-apply.js');
      const code = await applyRetention(options);
      if (code !== 0) throw new CommandExitCode(code);
    });
}
