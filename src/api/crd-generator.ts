/**
 * Builds the CustomResourceDefinitions of our two kinds from their zod schemas. Pure: returns
 * objects; scripts/generate-files.ts writes them.
 */
import type * as z from 'zod';
import { API_CATEGORY, API_GROUP, API_VERSION } from './common.js';
import { REGISTRY_KIND, registrySpecSchema, registryStatusSchema } from './registry.js';
import { RETENTION_POLICY_KIND, retentionPolicySpecSchema, retentionPolicyStatusSchema } from './retention-policy.js';
import { zodToStructuralSchema, type JsonSchema } from './structural-schema.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CustomResourceKind {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  specSchema: z.ZodType;
  statusSchema: z.ZodType;
  printerColumns: PrinterColumn[];
}

const AGE_COLUMN: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export const REGISTRY_RESOURCE: CustomResourceKind = {
  kind: REGISTRY_KIND,
  plural: 'registries',
  singular: 'registry',
  shortNames: ['reg'],
  description:
    'A container registry (CNCF distribution) that dockmaster deploys and runs: storage, auth, TLS, Service, ' +
    'admission listing and scheduled read-only garbage-collection windows.',
  specSchema: registrySpecSchema,
  statusSchema: registryStatusSchema,
  printerColumns: [
    { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint', description: 'In-cluster URL of the registry.' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Whether the registry serves.' },
    { name: 'ReadOnly', type: 'boolean', jsonPath: '.status.readOnly', description: 'Read-only during a garbage-collection window.' },
    { name: 'Last GC', type: 'date', jsonPath: '.status.lastGarbageCollection.completionTime', description: 'When the last garbage collection finished.' },
    { name: 'Image', type: 'string', jsonPath: '.status.image', description: 'The registry image in use.', priority: 1 },
    { name: 'Mirror', type: 'string', jsonPath: '.spec.proxy.remoteURL', description: 'The upstream this Registry mirrors (spec.proxy), if any.' },
    AGE_COLUMN,
  ],
};

export const RETENTION_POLICY_RESOURCE: CustomResourceKind = {
  kind: RETENTION_POLICY_KIND,
  plural: 'retentionpolicies',
  singular: 'retentionpolicy',
  shortNames: ['rp'],
  description:
    'Which tags to keep in a registry. On its schedule the operator deletes, by digest through the registry v2 API, ' +
    'every tag in scope that no keep rule keeps, never breaking kept tags, multi-arch indexes or signatures.',
  specSchema: retentionPolicySpecSchema,
  statusSchema: retentionPolicyStatusSchema,
  printerColumns: [
    { name: 'Registry', type: 'string', jsonPath: '.spec.registryRef.name', description: 'The managed Registry the policy cleans.' },
    { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule', description: 'Cron schedule of the runs.' },
    { name: 'Last Run', type: 'date', jsonPath: '.status.lastRun.completionTime', description: 'When the last run finished.' },
    { name: 'Deleted', type: 'integer', jsonPath: '.status.lastRun.digestsDeleted', description: 'Digests deleted by the last run.' },
    AGE_COLUMN,
  ],
};

export const CUSTOM_RESOURCE_KINDS: readonly CustomResourceKind[] = [REGISTRY_RESOURCE, RETENTION_POLICY_RESOURCE];

/** The openAPIV3Schema of one kind: the envelope plus the structural spec and status schemas. */
export function buildOpenApiSchema(resource: CustomResourceKind): JsonSchema {
  return {
    description: resource.description,
    type: 'object',
    properties: {
      apiVersion: {
        description: 'APIVersion defines the versioned schema of this representation of an object. Always dockmaster.dev/v1alpha1.',
        type: 'string',
      },
      kind: { description: `Kind is the REST resource type. Always ${resource.kind}.`, type: 'string' },
      metadata: { type: 'object' },
      spec: zodToStructuralSchema(resource.specSchema),
      status: zodToStructuralSchema(resource.statusSchema),
    },
    required: ['spec'],
  };
}

export function buildCustomResourceDefinition(resource: CustomResourceKind): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${resource.plural}.${API_GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'dockmaster' },
    },
    spec: {
      group: API_GROUP,
      names: {
        kind: resource.kind,
        listKind: `${resource.kind}List`,
        plural: resource.plural,
        singular: resource.singular,
        shortNames: resource.shortNames,
        categories: [API_CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: resource.printerColumns,
          schema: { openAPIV3Schema: buildOpenApiSchema(resource) },
        },
      ],
    },
  };
}

/** File name kubebuilder would give the CRD: `<group>_<plural>.yaml`. */
export function crdFileName(resource: CustomResourceKind): string {
  return `${API_GROUP}_${resource.plural}.yaml`;
}
