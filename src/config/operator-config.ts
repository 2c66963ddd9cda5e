import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { admissionConfigSchema } from '../admission/admission-config.js';
import { namespaceNameSchema } from '../api/common.js';
import { externalRegistriesConfigSchema } from '../registry/client/address-policy.js';
import { retentionRunsConfigSchema } from '../retention/run-slots-config.js';
import { registryDefaultsConfigSchema } from '../managed-registry/registry-image.js';
import { pullTrackingConfigSchema } from '../pull-tracking/config.js';
import { InputValidationError } from '../errors.js';
import { parseWithSchema } from '../api/schema-parse.js';
import { readYamlDocuments } from '../api/yaml-documents.js';

/**
 * The operator configuration (a ConfigMap key or a file, YAML or JSON). One strict object per
 * concern: an unknown key is an error that names it, so a typo (`allowedRegistry`) never
 * silently turns a setting off. Add new sections (controllers, leaderElection, …) as siblings
 * of `admission` in `operatorConfigSchema`; each section's schema lives with the code it configures.
 */

export const operatorConfigSchema = z.strictObject({
  namespace: namespaceNameSchema.default('dockmaster-system').meta({ description: 'Namespace the operator runs in.' }),
  watchNamespaces: z
    .array(namespaceNameSchema)
    .max(1000)
    .refine((list) => new Set(list).size === list.length, 'lists a namespace twice')
    .default([])
    .meta({
      description:
        'The namespaced install mode: reconcile Registries and RetentionPolicies in these namespaces only, with one list-watch per namespace, so RoleBindings there are all the RBAC the operator needs (deploy/overlays/namespaced). Empty: every namespace (cluster-wide mode, needs the ClusterRoleBinding). The --watch-namespace flag overrides it.',
    }),
  admission: admissionConfigSchema.prefault({}),
  externalRegistries: externalRegistriesConfigSchema.prefault({}),
  retention: retentionRunsConfigSchema.prefault({}),
  registries: registryDefaultsConfigSchema.prefault({}),
  pullTracking: pullTrackingConfigSchema.prefault({}),
});
export type OperatorConfig = z.output<typeof operatorConfigSchema>;
export type OperatorConfigInput = z.input<typeof operatorConfigSchema>;

/**
 * The namespaces to watch: a `--watch-namespace` flag's comma-separated list when given, else the
 * configuration's `watchNamespaces`; empty means every namespace.
 */
export function watchedNamespaces(flag: string | undefined, config: Pick<OperatorConfig, 'watchNamespaces'>): string[] {
  if (flag === undefined || flag.trim() === '') return [...config.watchNamespaces];
  const listed = flag.split(',').map((ns) => ns.trim()).filter((ns) => ns !== '');
  return parseWithSchema(operatorConfigSchema.shape.watchNamespaces, listed, '--watch-namespace');
}

/** Validates a configuration object; throws InputValidationError naming each bad field. */
export function parseOperatorConfig(input: unknown, source = 'operator configuration'): OperatorConfig {
  return parseWithSchema(operatorConfigSchema, input ?? {}, source);
}

/** Parses configuration text (YAML or JSON, one document). */
export function parseOperatorConfigText(text: string, source = 'operator configuration'): OperatorConfig {
  const documents = readYamlDocuments(text, source);
  if (documents.length > 1) throw new InputValidationError(source, [{ path: '', message: 'expected one YAML or JSON document' }]);
  return parseOperatorConfig(documents[0] ?? {}, source);
}

/** Reads and validates a configuration file. */
export async function loadOperatorConfigFile(path: string): Promise<OperatorConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputValidationError(`operator configuration ${path}`, [{ path: '', message: `cannot read the file: ${(error as Error).message}` }]);
  }
  return parseOperatorConfigText(text, `operator configuration ${path}`);
}

export type { AdmissionConfig, AdmissionMode, WebhookServerConfig } from '../admission/admission-config.js';
