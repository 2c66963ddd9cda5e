/**
 * zod → Kubernetes structural OpenAPI v3 schema. `z.toJSONSchema` gives JSON Schema; the
 * apiserver accepts only the "structural" subset (every node typed, no $ref, no
 * additionalProperties: false, nullable instead of null unions, anyOf only for int-or-string
 * shapes). This module rewrites one into the other and refuses anything it cannot express
 * faithfully, so a schema change that would silently loosen the CRD fails the generation instead.
 */
import * as z from 'zod';
import { DockmasterError } from '../errors.js';

export type JsonSchema = { [key: string]: unknown };

export class StructuralSchemaError extends DockmasterError {
  constructor(path: string, problem: string) {
    super('DM_ERR_CRD_SCHEMA', `Cannot express ${path || '(root)'} as a Kubernetes structural schema: ${problem}`);
  }
}

/** Formats the apiserver validates; others are dropped (it would reject or ignore them). */
const KUBERNETES_FORMATS = new Set(['date-time', 'date', 'int32', 'int64', 'float', 'double', 'byte', 'uri', 'hostname', 'ipv4', 'ipv6', 'uuid']);

/** JSON Schema keys that carry no validation meaning for the apiserver. */
const DROPPED_KEYS = new Set(['$schema', '$id', 'id', 'title', 'examples', '$defs', 'definitions']);

/** Output order, for readable and stable YAML; other keys follow in their own order. */
const KEY_ORDER = ['description', 'type', 'format', 'enum', 'default', 'nullable'];
const TRAILING_KEYS = ['properties', 'required', 'additionalProperties', 'items', 'x-kubernetes-validations'];

const ALLOWED_KEYS = new Set([
  ...KEY_ORDER,
  ...TRAILING_KEYS,
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern',
  'minItems', 'maxItems', 'minProperties', 'maxProperties', 'anyOf',
  'x-kubernetes-int-or-string', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type',
]);

// z.int() states JavaScript's safe-integer range; it says nothing to a Kubernetes reader.
const SAFE_INTEGER_BOUND = Number.MAX_SAFE_INTEGER;

interface Context {
  defs: Record<string, JsonSchema>;
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveRef(ref: string, context: Context, path: string): JsonSchema {
  const match = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref);
  const target = match ? context.defs[match[1] ?? ''] : undefined;
  if (!target) throw new StructuralSchemaError(path, `unresolvable $ref ${ref}`);
  return target;
}

/** `anyOf: [X, {type: null}]` → X with nullable (draft targets; the openapi-3.0 target already does this). */
function collapseNullUnion(node: JsonSchema): JsonSchema {
  const anyOf = node.anyOf;
  if (!Array.isArray(anyOf)) return node;
  const nonNull = anyOf.filter((member) => !(isObject(member) && member.type === 'null'));
  if (nonNull.length === anyOf.length || nonNull.length !== 1) return node;
  const { anyOf: _dropped, ...rest } = node;
  return { ...rest, ...(nonNull[0] as JsonSchema), nullable: true };
}

/** The controller-gen shape of an int-or-string field: anyOf integer/string, string checks on top. */
function intOrString(node: JsonSchema): JsonSchema {
  const members = Array.isArray(node.anyOf) ? node.anyOf.filter(isObject) : [];
  const stringMember = members.find((member) => member.type === 'string');
  const out: JsonSchema = { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
  if (node.description !== undefined) out.description = node.description;
  if (node.default !== undefined) out.default = node.default;
  if (stringMember?.pattern !== undefined) out.pattern = stringMember.pattern;
  return out;
}

function orderKeys(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const key of KEY_ORDER) if (key in node) out[key] = node[key];
  for (const key of Object.keys(node)) if (!KEY_ORDER.includes(key) && !TRAILING_KEYS.includes(key)) out[key] = node[key];
  for (const key of TRAILING_KEYS) if (key in node) out[key] = node[key];
  return out;
}

function convertNode(input: JsonSchema, path: string, context: Context): JsonSchema {
  let node: JsonSchema = { ...input };
  if (typeof node.$ref === 'string') {
    const { $ref, ...siblings } = node;
    node = { ...resolveRef($ref as string, context, path), ...siblings };
  }
  if (Array.isArray(node.allOf) && node.allOf.length === 1 && isObject(node.allOf[0])) {
    const { allOf, ...rest } = node;
    node = { ...convertNode(allOf[0] as JsonSchema, path, context), ...rest };
  }
  node = collapseNullUnion(node);
  if (node['x-kubernetes-int-or-string'] === true) return orderKeys(intOrString(node));
  if (node.anyOf !== undefined) throw new StructuralSchemaError(path, 'unions other than int-or-string and nullable are not structural');

  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED_KEYS.has(key)) continue;
    if (key === 'const') {
      out.enum = [value];
      continue;
    }
    if (!ALLOWED_KEYS.has(key)) throw new StructuralSchemaError(path, `unsupported JSON Schema keyword ${key}`);
    out[key] = value;
  }
  if (out.additionalProperties === false || out.additionalProperties === true) delete out.additionalProperties;
  if (out.type === undefined && (out.properties !== undefined || out.additionalProperties !== undefined)) out.type = 'object';
  if (typeof out.type !== 'string') throw new StructuralSchemaError(path, 'every node needs a single type');
  if (out.type === 'integer' || out.type === 'number') {
    if (out.minimum === -SAFE_INTEGER_BOUND) delete out.minimum;
    if (out.maximum === SAFE_INTEGER_BOUND) delete out.maximum;
    // OpenAPI v3.0 form: exclusiveMinimum is a flag on minimum, not a number.
    if (typeof out.exclusiveMinimum === 'number') Object.assign(out, { minimum: out.exclusiveMinimum, exclusiveMinimum: true });
    if (typeof out.exclusiveMaximum === 'number') Object.assign(out, { maximum: out.exclusiveMaximum, exclusiveMaximum: true });
  }
  if (typeof out.format === 'string') {
    if (!KUBERNETES_FORMATS.has(out.format)) delete out.format;
    // zod adds a JavaScript regex for date-time that the format already expresses.
    else if (out.format === 'date-time') delete out.pattern;
  }
  if (isObject(out.properties)) {
    const properties: JsonSchema = {};
    for (const [name, child] of Object.entries(out.properties)) {
      properties[name] = convertNode(child as JsonSchema, path ? `${path}.${name}` : name, context);
    }
    out.properties = properties;
  }
  if (isObject(out.additionalProperties)) out.additionalProperties = convertNode(out.additionalProperties, `${path}[*]`, context);
  if (isObject(out.items)) out.items = convertNode(out.items, `${path}[]`, context);
  else if (out.type === 'array') throw new StructuralSchemaError(path, 'arrays need a single items schema');
  return orderKeys(out);
}

/** Rewrites a JSON Schema document (as `z.toJSONSchema` returns it) into a structural schema. */
export function toStructural(document: JsonSchema): JsonSchema {
  const defs = { ...(isObject(document.$defs) ? document.$defs : {}), ...(isObject(document.definitions) ? document.definitions : {}) };
  return convertNode(document, '', { defs: defs as Record<string, JsonSchema> });
}

/**
 * The structural schema of a zod schema, from its input side: CRs are what users write, so
 * defaulted fields are optional and carry their `default`.
 */
export function zodToStructuralSchema(schema: z.ZodType): JsonSchema {
  return toStructural(z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0', reused: 'inline', cycles: 'throw' }) as JsonSchema);
}

/**
 * Every reason `schema` is not structural, for tests: nodes without a type, $ref, boolean
 * additionalProperties, null unions, anyOf outside the int-or-string shape.
 */
export function structuralProblems(schema: unknown, path = ''): string[] {
  if (!isObject(schema)) return [`${path || '(root)'}: not a schema object`];
  const problems: string[] = [];
  const at = path || '(root)';
  const intOrStringOrPreserved = schema['x-kubernetes-int-or-string'] === true || schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (typeof schema.type !== 'string' && !intOrStringOrPreserved) problems.push(`${at}: no type`);
  if ('$ref' in schema || '$defs' in schema || '$schema' in schema) problems.push(`${at}: $ref/$defs/$schema`);
  if (typeof schema.additionalProperties === 'boolean') problems.push(`${at}: additionalProperties: ${String(schema.additionalProperties)}`);
  if (schema.anyOf !== undefined && schema['x-kubernetes-int-or-string'] !== true) problems.push(`${at}: anyOf`);
  if (Array.isArray(schema.anyOf) && schema.anyOf.some((m) => isObject(m) && m.type === 'null')) problems.push(`${at}: anyOf with null`);
  if (schema.type === 'null') problems.push(`${at}: type null`);
  if (isObject(schema.properties)) {
    if (schema.type !== 'object') problems.push(`${at}: properties without type object`);
    for (const [name, child] of Object.entries(schema.properties)) problems.push(...structuralProblems(child, path ? `${path}.${name}` : name));
  }
  if (isObject(schema.additionalProperties)) problems.push(...structuralProblems(schema.additionalProperties, `${path}[*]`));
  if (schema.items !== undefined) problems.push(...structuralProblems(schema.items, `${path}[]`));
  return problems;
}
