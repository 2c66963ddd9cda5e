/**
 * Pieces shared by both kinds: the API group and version, object metadata, metav1.Condition,
 * Kubernetes names and resource quantities. Every `.meta({ description })` here ends up in the
 * CRD and so in `kubectl explain`.
 */
import * as z from 'zod';

export const API_GROUP = 'dockmaster.dev';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

/** Category shared by both CRDs: `kubectl get dockmaster` lists Registries and RetentionPolicies. */
export const API_CATEGORY = 'dockmaster';

/** RFC 1123 DNS label, the shape of a Service or Registry name (max 63 characters). */
export const DNS_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 DNS subdomain, the shape of a Secret or ConfigMap name (max 253 characters). */
export const DNS_SUBDOMAIN_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Kubernetes' own resource.Quantity pattern, as controller-gen emits it; the apiserver checks
 * strings against it, so a bad size is refused at `kubectl apply` rather than by the PVC later.
 */
export const QUANTITY_PATTERN =
  /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

/** Name of a Secret in the same namespace as the resource. */
/** A Kubernetes namespace name (RFC 1123 label). */
export const namespaceNameSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a namespace name (lowercase letters, digits and "-", at most 63)');

export function secretNameSchema(description: string) {
  return z
    .string()
    .min(1)
    .max(253)
    .regex(DNS_SUBDOMAIN_PATTERN, 'must be a Secret name: lowercase letters, digits, "-" and "."')
    .meta({ description });
}

/**
 * A resource quantity (`10Gi`, `500m`, `2`). YAML users write `cpu: 1` as a number, so integers
 * are accepted too (x-kubernetes-int-or-string, like core Kubernetes); the output is always a string.
 */
export function quantitySchema(description: string) {
  return z
    .union([z.int().min(0), z.string().regex(QUANTITY_PATTERN, 'must be a Kubernetes quantity such as 10Gi, 500Mi or 250m')])
    .pipe(z.transform((value) => String(value)))
    .meta({ description, 'x-kubernetes-int-or-string': true });
}

/** An RFC 3339 timestamp as Kubernetes writes them (`2024-05-01T02:00:00Z`). */
export function timestampSchema(description: string) {
  return z.iso.datetime({ offset: true }).meta({ description });
}

/** A count in status (never negative). */
export function countSchema(description: string) {
  return z.int().min(0).meta({ description });
}

/**
 * The object metadata the apiserver hands us. Only the fields dockmaster reads are typed; the
 * rest passes through untouched (the CRD never constrains metadata: the apiserver owns it).
 */
export const objectMetaSchema = z.looseObject({
  name: z.string().min(1).optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.int().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
});
export type ObjectMeta = z.output<typeof objectMetaSchema>;

/** metav1.Condition, with the apiserver's own limits, so our status writes are never refused. */
export const conditionSchema = z.object({
  type: z
    .string()
    .min(1)
    .max(316)
    .meta({ description: 'Type of the condition in CamelCase, e.g. Ready.' }),
  status: z.enum(['True', 'False', 'Unknown']).meta({ description: 'Status of the condition: True, False or Unknown.' }),
  observedGeneration: z
    .int()
    .min(0)
    .optional()
    .meta({ description: 'The .metadata.generation the condition was computed from; older than the current generation means the condition is stale.' }),
  lastTransitionTime: timestampSchema('When the condition last changed status (not when it was last checked).'),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
    .meta({ description: 'Machine-readable CamelCase reason for the last transition.' }),
  message: z.string().max(32768).meta({ description: 'Human-readable explanation, saying what to do when something is wrong.' }),
});
export type Condition = z.output<typeof conditionSchema>;

export function conditionsSchema(description: string) {
  return z
    .array(conditionSchema)
    .max(16)
    .optional()
    .meta({ description, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });
}

/**
 * The apiVersion/kind/metadata/spec/status envelope of one of our kinds. Status is optional:
 * a resource fresh from a user's file has none.
 */
export function resourceSchema<K extends string, Spec extends z.ZodType, Status extends z.ZodType>(
  kind: K,
  spec: Spec,
  status: Status,
) {
  return z.object({
    apiVersion: z.literal(API_GROUP_VERSION),
    kind: z.literal(kind),
    metadata: objectMetaSchema,
    spec,
    status: status.optional(),
  });
}
