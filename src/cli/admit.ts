import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { AdmissionReviewError, answerAdmissionReview, metadataOf } from '../admission/admission-review.js';
import { AllowEntryError, describeAllowList, parseAllowEntry } from '../admission/allow-list.js';
import { decideAdmission, describeViolation, type AdmissionDecision } from '../admission/decision.js';
import { buildAdmissionPolicy, type AdmissionPolicy } from '../admission/policy.js';
import { registryAdmissionSources, type RegistryForAdmission } from '../admission/registry-sources.js';
import { MalformedObjectError } from '../admission/workload-images.js';
import { loadOperatorConfigFile, parseOperatorConfig } from '../config/operator-config.js';
import { readYamlDocuments } from '../api/yaml-documents.js';
import { InputValidationError } from '../errors.js';
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from './exit-codes.js';

/**
 * `dockmaster admit`: the webhook's decision, offline. Each object of the file (Pods, pod
 * controllers, AdmissionReviews, `kind: List`) goes through the very functions the webhook
 * route calls, so what this prints is what the cluster would answer.
 */

export interface AdmitOptions {
  config?: string;
  allow: string[];
  file?: string;
  /** Judge what runs in the cluster now (Pods and pod controllers), e.g. before enforcing a new configuration. */
  fromCluster?: boolean;
  kubeconfig?: string;
  output: 'table' | 'json';
}

export interface AdmitIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** One object's result, as printed (`--output json` prints these). */
export interface AdmitResult {
  document: number;
  kind: string;
  namespace: string;
  name: string;
  allowed: boolean;
  verdict: AdmissionDecision['verdict'];
  message: string;
  violations: Array<{ field: string; container: string; image: string; normalized?: string; problem?: string }>;
  warnings: string[];
}

class BadInput extends Error {}

/** Runs the command; returns the exit code (0 all allowed, 1 any denied, 2 bad input). */
export async function runAdmit(options: AdmitOptions, io: AdmitIo): Promise<number> {
  try {
    if (Boolean(options.file) === Boolean(options.fromCluster)) throw new BadInput('give exactly one of -f FILE or --from-cluster');
    const input = options.fromCluster ? await readCluster(options) : await readFileInput(options.file!, io.stdin);
    const policy = await policyFor(options, input.objects.filter(isRegistry));
    const judged = evaluateObjects(policy, input.objects, input.source);
    // From the cluster, the Namespaces and Registries read for labels and sources are not findings.
    const results = options.fromCluster ? judged.filter((r) => r.kind !== 'Namespace' && r.kind !== 'Registry') : judged;
    io.stdout.write(options.output === 'json' ? `${JSON.stringify({ results, summary: summarize(results) }, null, 2)}\n` : renderTable(results, policy));
    return results.some((r) => !r.allowed) ? EXIT_FAILURE : EXIT_OK;
  } catch (error) {
    if (error instanceof BadInput || error instanceof InputValidationError) {
      io.stderr.write(`dockmaster admit: ${error.message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw error;
  }
}

interface AdmitInput {
  source: string;
  objects: Array<{ document: number; object: unknown }>;
}

async function readFileInput(file: string, stdin: Readable): Promise<AdmitInput> {
  const text = file === '-' ? await readAll(stdin) : await readInput(file);
  return { source: file, objects: parseDocuments(text, file) };
}

/** The cluster's workloads, read with the Kubernetes client (loaded only for this mode). */
async function readCluster(options: AdmitOptions): Promise<AdmitInput> {
  const { readClusterWorkloads } = await import('./admit-cluster.js');
  const objects = await readClusterWorkloads(options.kubeconfig);
  return { source: 'the cluster', objects: objects.map((object, i) => ({ document: i + 1, object })) };
}

function isRegistry(entry: { object: unknown }): boolean {
  return isRecord(entry.object) && entry.object.kind === 'Registry' && entry.object.apiVersion === 'dockmaster.dev/v1alpha1';
}

/**
 * The policy of the configuration file (or the defaults), plus every `--allow` entry, and the
 * Registries of the input (from the file or the cluster), scoped as the webhook scopes them.
 */
async function policyFor(options: AdmitOptions, registries: ReadonlyArray<{ object: unknown }>): Promise<AdmissionPolicy> {
  const config = options.config ? await loadOperatorConfigFile(options.config) : parseOperatorConfig({});
  for (const entry of options.allow) {
    try {
      parseAllowEntry(entry, '--allow');
    } catch (error) {
      if (error instanceof AllowEntryError) throw new BadInput(`--allow: ${error.message}`);
      throw error;
    }
  }
  const admission = { ...config.admission, allowedRegistries: [...config.admission.allowedRegistries, ...options.allow] };
  const sources = registryAdmissionSources(registries.map((r) => r.object as RegistryForAdmission), admission.registries);
  return buildAdmissionPolicy(admission, config.namespace, sources).policy;
}

function parseDocuments(text: string, source: string): Array<{ document: number; object: unknown }> {
  const documents = readYamlDocuments(text, source);
  const objects: Array<{ document: number; object: unknown }> = [];
  documents.forEach((value, index) => {
    if (value === null) return;
    for (const object of listItems(value)) objects.push({ document: index + 1, object });
  });
  return objects;
}

export function evaluateDocuments(policy: AdmissionPolicy, text: string, source: string): AdmitResult[] {
  return evaluateObjects(policy, parseDocuments(text, source), source);
}

function evaluateObjects(policy: AdmissionPolicy, objects: ReadonlyArray<{ document: number; object: unknown }>, source: string): AdmitResult[] {
  if (objects.length === 0) throw new BadInput(`${source}: no objects to check`);
  // Rules selected by namespace labels see the labels of the Namespace objects of the input
  // (a file has no cluster to ask; --from-cluster reads every Namespace); one not given has none.
  const labels = namespaceLabelsOf(objects.map((o) => o.object));
  const labelsOf = (namespace: string): Record<string, string> => labels.get(namespace) ?? {};
  return objects.map(({ document, object }) => evaluateObject(policy, object, document, source, labelsOf));
}

function namespaceLabelsOf(objects: readonly unknown[]): Map<string, Record<string, string>> {
  const labels = new Map<string, Record<string, string>>();
  for (const object of objects) {
    if (!isRecord(object) || object.kind !== 'Namespace' || object.apiVersion !== 'v1') continue;
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    if (typeof metadata.name !== 'string') continue;
    const given = isRecord(metadata.labels) ? metadata.labels : {};
    labels.set(metadata.name, Object.fromEntries(Object.entries(given).filter((e): e is [string, string] => typeof e[1] === 'string')));
  }
  return labels;
}

function listItems(value: unknown): unknown[] {
  if (isRecord(value) && value.kind === 'List' && Array.isArray(value.items)) return value.items;
  return [value];
}

function evaluateObject(
  policy: AdmissionPolicy,
  object: unknown,
  document: number,
  source: string,
  labelsOf: (namespace: string) => Record<string, string>,
): AdmitResult {
  const where = `${source}: document ${document}`;
  if (!isRecord(object) || typeof object.kind !== 'string' || typeof object.apiVersion !== 'string') {
    throw new BadInput(`${where} is not a Kubernetes object (it needs apiVersion and kind)`);
  }
  try {
    if (object.kind === 'AdmissionReview') {
      const { decision } = answerAdmissionReview(policy, object, labelsOf);
      return resultOf(document, decision);
    }
    const metadata = metadataOf(object);
    const slash = object.apiVersion.indexOf('/');
    const namespace = metadata.namespace ?? 'default';
    const decision = decideAdmission(policy, {
      operation: 'CREATE',
      group: slash === -1 ? '' : object.apiVersion.slice(0, slash),
      kind: object.kind,
      // kubectl applies an object without a namespace to "default".
      namespace,
      name: metadata.name ?? (metadata.generateName ? `${metadata.generateName}*` : ''),
      object,
    }, labelsOf(namespace));
    return resultOf(document, decision);
  } catch (error) {
    if (error instanceof AdmissionReviewError || error instanceof MalformedObjectError) throw new BadInput(`${where}: ${error.message}`);
    throw error;
  }
}

function resultOf(document: number, decision: AdmissionDecision): AdmitResult {
  return {
    document,
    ...decision.subject,
    allowed: decision.allowed,
    verdict: decision.verdict,
    message: decision.message,
    violations: decision.violations.map((v) => ({
      field: v.container.fieldPath,
      container: v.container.containerName,
      image: v.container.image,
      ...(v.normalized !== undefined && { normalized: v.normalized }),
      ...(v.problem !== undefined && { problem: v.problem }),
    })),
    warnings: decision.warnings,
  };
}

function summarize(results: readonly AdmitResult[]): Record<string, number> {
  const count = (verdicts: string[]) => results.filter((r) => verdicts.includes(r.verdict)).length;
  return {
    objects: results.length,
    allowed: count(['allowed', 'warned', 'audited']),
    denied: count(['denied']),
    notChecked: count(['exempt', 'not-checked']),
  };
}

const VERDICT_LABEL: Record<AdmissionDecision['verdict'], string> = {
  allowed: 'allowed',
  denied: 'DENIED',
  warned: 'warned',
  audited: 'audited',
  exempt: 'exempt',
  'not-checked': 'skipped',
};

function renderTable(results: readonly AdmitResult[], policy: AdmissionPolicy): string {
  const rows = results.map((r) => {
    const details =
      r.violations.length > 0
        ? r.violations.map((v) => describeViolation({ container: { fieldPath: v.field, containerName: v.container, image: v.image }, ...(v.normalized && { normalized: v.normalized }), ...(v.problem && { problem: v.problem }) }))
        : [r.verdict === 'allowed' ? 'all images from allowed sources' : r.message];
    return { cells: [r.kind, `${r.namespace}/${r.name}`, VERDICT_LABEL[r.verdict]], details };
  });
  const header = ['KIND', 'NAMESPACE/NAME', 'VERDICT'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]?.length ?? 0)));
  const pad = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  const indent = ' '.repeat(widths.reduce((a, b) => a + b + 2, 0));
  const lines = [`${pad(header)}  DETAIL`];
  for (const row of rows) {
    const [first = '', ...rest] = row.details;
    lines.push(`${pad(row.cells)}  ${first}`);
    for (const detail of rest) lines.push(`${indent}${detail}`);
  }
  const s = summarize(results);
  lines.push('', `${s.objects} object(s): ${s.allowed} allowed, ${s.denied} denied, ${s.notChecked} not checked (mode ${policy.mode})`);
  if (results.some((r) => r.violations.length > 0)) lines.push(`Allowed sources: ${describeAllowList(policy.allowList)}`);
  return `${lines.join('\n')}\n`;
}

async function readInput(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new BadInput(`cannot read ${path}: ${(error as Error).message}`);
  }
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
