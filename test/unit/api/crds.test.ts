import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { buildCustomResourceDefinition, CUSTOM_RESOURCE_KINDS, REGISTRY_RESOURCE, RETENTION_POLICY_RESOURCE } from '../../../src/api/crd-generator.js';
import { GENERATED_HEADER, renderCrdFiles } from '../../../src/api/crd-files.js';
import { generatedFiles } from '../../../scripts/generate-files.js';
import { StructuralSchemaError, structuralProblems, toStructural, type JsonSchema } from '../../../src/api/structural-schema.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

type Crd = { spec: { versions: Array<{ schema: { openAPIV3Schema: JsonSchema }; additionalPrinterColumns: unknown[]; subresources: unknown }> } };

function openApiSchema(crd: unknown): JsonSchema {
  return (crd as Crd).spec.versions[0]!.schema.openAPIV3Schema;
}

function at(schema: JsonSchema, ...path: string[]): JsonSchema {
  return path.reduce<JsonSchema>((node, key) => (key === '[]' ? (node.items as JsonSchema) : (node.properties as Record<string, JsonSchema>)[key]!), schema);
}

describe('generated CRDs', () => {
  it('are current, the chart CRD templates and values.schema.json too: the committed files equal a fresh generation', () => {
    for (const file of generatedFiles()) {
      let committed: string | undefined;
      try {
        committed = readFileSync(`${repositoryRoot}${file.path}`, 'utf8');
      } catch {
        committed = undefined;
      }
      expect(committed, `${file.path} is stale or missing: run npm run crds`).toBe(file.content);
    }
  });

  it.each(CUSTOM_RESOURCE_KINDS.map((r) => [r.kind, r] as const))('%s has a structural schema', (_kind, resource) => {
    const schema = openApiSchema(buildCustomResourceDefinition(resource));
    expect(structuralProblems(schema)).toEqual([]);
    expect(JSON.stringify(schema)).not.toMatch(/"\$ref"|"\$schema"|"\$defs"|"additionalProperties":false|"type":"null"|"const"/);
  });

  it('the committed YAML carries the generated-file header and parses back to the generated object', () => {
    for (const resource of CUSTOM_RESOURCE_KINDS) {
      const file = renderCrdFiles().find((f) => f.path.endsWith(`_${resource.plural}.yaml`))!;
      expect(file.content.startsWith(`#${GENERATED_HEADER}`)).toBe(true);
      expect(parse(file.content)).toEqual(buildCustomResourceDefinition(resource));
    }
  });

  it('declares names, categories, status subresource and printer columns', () => {
    const registry = buildCustomResourceDefinition(REGISTRY_RESOURCE) as { spec: Record<string, unknown> } & Crd;
    expect(registry.spec.names).toMatchObject({ kind: 'Registry', plural: 'registries', shortNames: ['reg'], categories: ['dockmaster'] });
    expect(registry.spec.scope).toBe('Namespaced');
    const version = registry.spec.versions[0]!;
    expect(version.subresources).toEqual({ status: {} });
    expect(version.additionalPrinterColumns.map((c) => (c as { name: string }).name)).toEqual(['Endpoint', 'Ready', 'ReadOnly', 'Last GC', 'Image', 'Mirror', 'Age']);
    const policy = buildCustomResourceDefinition(RETENTION_POLICY_RESOURCE) as Crd & { spec: { names: unknown } };
    expect(policy.spec.names).toMatchObject({ shortNames: ['rp'] });
    expect(policy.spec.versions[0]!.additionalPrinterColumns).toContainEqual({
      name: 'Deleted', type: 'integer', jsonPath: '.status.lastRun.digestsDeleted', description: 'Digests deleted by the last run.',
    });
  });

  it('keeps defaults, enums and CEL one-of rules, and marks quantities int-or-string', () => {
    const registry = openApiSchema(buildCustomResourceDefinition(REGISTRY_RESOURCE));
    // No default for spec.image: the apiserver would store it, and a later default change could move a registry (registry-image.ts).
    expect(at(registry, 'spec', 'image').default).toBeUndefined();
    expect(at(registry, 'spec', 'service').default).toEqual({});
    expect(at(registry, 'spec', 'service', 'type').enum).toEqual(['ClusterIP', 'NodePort', 'LoadBalancer']);
    expect(JSON.stringify(at(registry, 'spec', 'storage')['x-kubernetes-validations'])).toContain('has(self.pvc), has(self.emptyDir), has(self.s3)');
    expect(at(registry, 'spec', 'storage', 'pvc', 'size')).toMatchObject({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] });
    expect(at(registry, 'status', 'conditions')).toMatchObject({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });
    expect(at(registry, 'status', 'conditions', '[]', 'lastTransitionTime')).toEqual({
      description: 'When the condition last changed status (not when it was last checked).', type: 'string', format: 'date-time',
    });
    const policy = openApiSchema(buildCustomResourceDefinition(RETENTION_POLICY_RESOURCE));
    expect(JSON.stringify(at(policy, 'spec')['x-kubernetes-validations'])).toContain('has(self.registryRef) != has(self.external)');
    expect(at(policy, 'spec', 'keep', '[]', 'mostRecent')).toMatchObject({ type: 'integer', minimum: 1 });
    expect(at(policy, 'spec', 'keep', '[]', 'mostRecent').description).toContain('treated as new');
    expect(at(policy, 'spec', 'repositories').default).toEqual(['**']);
  });
});

describe('toStructural', () => {
  it('inlines $ref, collapses null unions, drops additionalProperties: false and $schema', () => {
    const out = toStructural({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      additionalProperties: false,
      properties: { a: { $ref: '#/$defs/A', description: 'an a' }, b: { anyOf: [{ type: 'string' }, { type: 'null' }] }, c: { const: 'x', type: 'string' } },
      $defs: { A: { type: 'object', properties: { n: { type: 'integer', minimum: -9007199254740991 } } } },
    });
    expect(out).toEqual({
      type: 'object',
      properties: {
        a: { description: 'an a', type: 'object', properties: { n: { type: 'integer' } } },
        b: { type: 'string', nullable: true },
        c: { type: 'string', enum: ['x'] },
      },
    });
  });

  it('refuses unions it cannot express rather than loosening the CRD', () => {
    const union = z.object({ choice: z.union([z.object({ a: z.string() }), z.object({ b: z.int() })]) });
    expect(() => toStructural(z.toJSONSchema(union, { io: 'input', target: 'openapi-3.0' }) as JsonSchema)).toThrow(StructuralSchemaError);
  });

  it('finds non-structural nodes', () => {
    expect(structuralProblems({ type: 'object', properties: { x: {}, y: { type: 'object', additionalProperties: false } } })).toEqual([
      'x: no type',
      'y: additionalProperties: false',
    ]);
  });
});
