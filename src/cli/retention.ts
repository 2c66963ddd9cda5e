import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { parseAllDocuments } from 'yaml';
import { createScopeMatcher } from '../api/glob.js';
import { parseRetentionPolicy, type RetentionPolicy } from '../api/retention-policy.js';
import { InputValidationError } from '../errors.js';
import { credentialsForRegistry, parseDockerConfigJson, RegistryV2Client } from '../registry/client/index.js';
import { planRetention, type RetentionPlan } from '../retention/planner.js';
import { takeRegistrySnapshot } from '../retention/registry-snapshot.js';
import { renderPlanTable } from '../retention/render.js';

export interface RetentionPlanOptions {
  file: string;
  registry?: string;
  credentials?: string;
  caFile?: string;
  insecure?: boolean;
  output: 'table' | 'json';
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new InputValidationError(what, [{ path, message: `cannot read the file: ${(error as Error).message}` }]);
  }
}

/** Reads the RetentionPolicy manifest users `kubectl apply` (YAML or JSON, one document). */
export async function loadRetentionPolicyFile(path: string): Promise<RetentionPolicy> {
  const documents = parseAllDocuments(await readText(path, `policy file ${path}`));
  const list = Array.isArray(documents) ? documents : [documents];
  if (list.length !== 1 || list[0]!.errors.length > 0) {
    const reason = list[0]?.errors[0]?.message ?? `expected one document, found ${list.length}`;
    throw new InputValidationError(`policy file ${path}`, [{ path: '', message: `not one valid YAML or JSON document: ${reason}` }]);
  }
  return parseRetentionPolicy(list[0]!.toJS(), `RetentionPolicy in ${path}`);
}

/** Lists the registry and plans; deletes nothing. */
export async function planFromRegistry(options: RetentionPlanOptions, now = new Date()): Promise<RetentionPlan> {
  const policy = await loadRetentionPolicyFile(options.file);
  const url = options.registry ?? policy.spec.external?.url;
  if (!url) {
    throw new InputValidationError('command line', [
      { path: '--registry', message: 'the policy uses spec.registryRef, which only the operator can resolve: pass --registry URL (e.g. https://registry.example.com)' },
    ]);
  }
  const credentials = options.credentials
    ? credentialsForRegistry(parseDockerConfigJson(await readText(options.credentials, '--credentials'), options.credentials), url)
    : undefined;
  const client = new RegistryV2Client({
    url,
    // A user who typed http:// asked for plain HTTP.
    allowPlainHttp: url.startsWith('http://'),
    ...(credentials ? { credentials } : {}),
    ...(options.caFile ? { caPem: await readText(options.caFile, '--ca-file') } : {}),
    ...(options.insecure ? { insecureSkipTlsVerify: true } : {}),
  });
  try {
    const inScope = createScopeMatcher({ include: policy.spec.repositories, exclude: policy.spec.excludeRepositories }, 'repository');
    const repositories = (await client.listRepositories()).filter(inScope);
    const snapshot = await takeRegistrySnapshot(client, { registry: url, repositories });
    const name = `${policy.metadata?.namespace ?? 'default'}/${policy.metadata?.name ?? 'policy'}`;
    return planRetention(policy.spec, snapshot, { now, policyName: name });
  } finally {
    await client.close();
  }
}

export function registerRetentionCommand(program: Command): void {
  const retention = program.command('retention').description('Plan or apply a retention policy against a registry.');
  retention
    .command('plan')
    .description('Print what a policy would delete; deletes nothing.')
    .requiredOption('-f, --file <path>', 'RetentionPolicy manifest (YAML or JSON), the one you kubectl apply')
    .option('--registry <url>', 'registry URL (default: spec.external.url)')
    .option('--credentials <path>', 'dockerconfigjson file (~/.docker/config.json format) with the credentials')
    .option('--ca-file <path>', 'CA bundle (PEM) that signed the registry certificate')
    .option('--insecure', 'skip TLS certificate verification')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (options: RetentionPlanOptions) => {
      const plan = await planFromRegistry(options);
      process.stdout.write(options.output === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : `${renderPlanTable(plan)}\n`);
    });
  retention
    .command('apply')
    .description('Delete what a policy does not keep (not built yet: use plan).')
    .action(() => {
      process.stderr.write('dockmaster retention apply: not built yet in this version; `retention plan` shows what it would delete.\n');
      process.exitCode = 1;
    });
}
