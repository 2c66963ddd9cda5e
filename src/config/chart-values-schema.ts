/**
 * The Helm chart's values.schema.json. The parts that end up in the operator configuration
 * (admission, externalRegistries, extraConfig) come from the configuration's own zod schemas, so
 * helm refuses at install what the operator would refuse at start-up, with the same field names.
 * The chart-only values (images, replicas, toggles) are described here.
 */
import * as z from 'zod';
import { admissionConfigSchema } from '../admission/admission-config.js';
import { namespaceNameSchema } from '../api/common.js';
import { externalRegistriesConfigSchema } from '../registry/client/address-policy.js';

type JsonSchema = Record<string, unknown>;

const jsonSchemaOf = (schema: z.ZodType): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', reused: 'inline', unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const object = (properties: Record<string, JsonSchema>, description?: string): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...(description ? { description } : {}),
});

const anyObject = (description: string): JsonSchema => ({ type: 'object', description });
const integer = (minimum: number, description?: string): JsonSchema => ({ type: 'integer', minimum, ...(description ? { description } : {}) });
const bool = (description: string): JsonSchema => ({ type: 'boolean', description });

const workload = (name: string): JsonSchema =>
  object({
    replicas: integer(1, `Replicas of the ${name} Deployment.`),
    resources: anyObject('Container resources (requests, limits).'),
    maxOldSpaceSizeMiB: integer(64, "V8's heap cap in MiB (--max-old-space-size); keep it well under resources.limits.memory."),
    nodeSelector: anyObject('Pod nodeSelector.'),
    tolerations: { type: 'array', description: 'Pod tolerations.' },
  });

/** Only the apiserver sets kubernetes.io/metadata.name: a tenant cannot relabel their way out of admission. */
const namespaceSelector = object(
  {
    matchExpressions: {
      type: 'array',
      items: object({
        key: { const: 'kubernetes.io/metadata.name', description: 'Only the namespace name: a label tenants can edit must not decide whether their namespace is checked.' },
        operator: { enum: ['In', 'NotIn'] },
        values: { type: 'array', minItems: 1, items: { type: 'string' } },
      }),
    },
  },
  'Narrows which namespaces are sent to the webhook, by name only; ANDed with the release namespace and admission.exemptNamespaces, which are never sent.',
);

export function chartValuesSchema(): JsonSchema {
  const admission = jsonSchemaOf(admissionConfigSchema) as { properties: Record<string, JsonSchema> };
  const { webhook: _webhookHasItsOwnValues, ...admissionProperties } = admission.properties;
  const webhook = workload('webhook') as { properties: Record<string, JsonSchema> };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'dockmaster chart values',
    ...object({
      image: object({
        repository: { type: 'string', minLength: 1 },
        tag: { type: 'string', description: "Default: the chart's appVersion." },
        pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
      }),
      imagePullSecrets: { type: 'array', items: object({ name: { type: 'string', minLength: 1 } }) },
      podSecurityContext: anyObject('Pod securityContext of both Deployments.'),
      securityContext: anyObject('Container securityContext of both Deployments.'),
      operator: { ...workload('operator'), properties: { ...(workload('operator') as { properties: object }).properties, affinity: anyObject('Pod affinity; default: spread the replicas across nodes.') } },
      watch: object({
        namespaces: { type: 'array', uniqueItems: true, items: jsonSchemaOf(namespaceNameSchema), description: 'Empty: every namespace. Listed: only these, with RoleBindings there.' },
        inUseReaderClusterWide: bool('Namespaced mode: let in-use protection list Pods and workloads in every namespace.'),
      }),
      webhook: object({
        ...webhook.properties,
        failurePolicy: { enum: ['Fail', 'Ignore'], description: 'Fail: nothing is admitted while the webhook is down. Ignore turns an outage into a bypass.' },
        timeoutSeconds: { type: 'integer', minimum: 1, maximum: 30 },
        namespaceSelector,
        url: { type: 'string', pattern: '^(https://.+/validate)?$', description: 'clientConfig.url of a webhook outside the cluster (https://host:port/validate); empty: the Service.' },
        networkPolicy: object({ enabled: bool('Allow only the webhook and health ports to the webhook pods.') }),
      }),
      admission: { ...admission, properties: admissionProperties, additionalProperties: false },
      externalRegistries: jsonSchemaOf(externalRegistriesConfigSchema),
      pullTracking: object({ enabled: bool("Registries send their pulls to the operator (pullTracking.receiverURL is the operator's metrics Service).") }),
      extraConfig: anyObject('Other keys of the operator configuration (docs/configuration.md), merged last; checked by the operator at start-up.'),
      crds: object({ enabled: bool('Install and upgrade the CRDs with the chart.'), keep: bool('Keep the CRDs (and so every Registry) on helm uninstall.') }),
      podDisruptionBudget: object({ enabled: bool('One PodDisruptionBudget per Deployment (minAvailable 1).') }),
      serviceMonitor: object({ enabled: bool('A prometheus-operator ServiceMonitor.'), interval: { type: 'string' }, labels: anyObject('Extra labels.') }),
      prometheusRule: object({ enabled: bool("The alerts of deploy/monitoring as a PrometheusRule."), labels: anyObject('Extra labels.') }),
      grafanaDashboard: object({ enabled: bool('The dashboard as a ConfigMap for a Grafana sidecar.'), labels: anyObject('Labels the sidecar selects.') }),
    }),
  };
}
