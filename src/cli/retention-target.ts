/** What `retention plan` and `retention apply` share: the policy file, the registry URL, the client. */
import { readFile } from 'node:fs/promises';
import { parseRetentionPolicy, type RetentionPolicy } from '../api/retention-policy.js';
import { readYamlDocuments } from '../api/yaml-documents.js';
import { InputValidationError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { credentialsForRegistry, parseDockerConfigJson, RegistryV2Client, type RegistryRequestEvent } from '../registry/client/index.js';
import { clientLimitsOf } from '../retention/read-limits.js';

export interface RetentionTargetOptions {
  file: string;
  registry?: string;
  credentials?: string;
  caFile?: string;
  insecure?: boolean;
  /** Most registry requests in flight (the client's default when absent). */
  concurrency?: number;
  /** The registry can untag (distribution 3.x, or a registry with the OCI tag delete): `--untag`. */
  untag?: boolean;
}

export interface RetentionTarget {
  policy: RetentionPolicy;
  /** `namespace/name`, as the plan and the logs show it. */
  policyName: string;
  url: string;
  client: RegistryV2Client;
}

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new InputValidationError(what, [{ path, message: `cannot read the file: ${(error as Error).message}` }]);
  }
}

/** Reads the RetentionPolicy manifest users `kubectl apply` (YAML or JSON, one document). */
export async function loadRetentionPolicyFile(path: string): Promise<RetentionPolicy> {
  const documents = readYamlDocuments(await readText(path, `policy file ${path}`), `policy file ${path}`);
  if (documents.length !== 1) {
    throw new InputValidationError(`policy file ${path}`, [{ path: '', message: `expected one YAML or JSON document, found ${documents.length}` }]);
  }
  return parseRetentionPolicy(documents[0], `RetentionPolicy in ${path}`);
}

/** Loads the policy and builds the registry client; the caller closes the client. */
export async function openRetentionTarget(
  options: RetentionTargetOptions,
  hooks: { logger?: Logger; onRequest?: (event: RegistryRequestEvent) => void } = {},
): Promise<RetentionTarget> {
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
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    // The policy's read limits bound a CLI run as they bound the controller's (its deadline does
    // not: apply waits for a person to confirm; Ctrl-C stops a run).
    limits: clientLimitsOf(policy.spec),
    ...(hooks.logger ? { logger: hooks.logger } : {}),
    ...(hooks.onRequest ? { onRequest: hooks.onRequest } : {}),
  });
  const policyName = `${policy.metadata?.namespace ?? 'default'}/${policy.metadata?.name ?? 'policy'}`;
  return { policy, policyName, url, client };
}
