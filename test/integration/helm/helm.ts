/** Real helm, with its config, cache and data folders in a temporary place (never the user's). */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helmBinary } from '../../tools/binaries.js';

export const CHART = 'charts/dockmaster';

export interface HelmResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const home = mkdtempSync(join(tmpdir(), 'dockmaster-helm-'));
const helmEnv = { ...process.env, HELM_CONFIG_HOME: join(home, 'config'), HELM_CACHE_HOME: join(home, 'cache'), HELM_DATA_HOME: join(home, 'data') };

export function helm(args: readonly string[]): Promise<HelmResult> {
  return new Promise((resolve) => {
    execFile(helmBinary(), args, { env: helmEnv, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      const exitCode = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ exitCode, stdout, stderr });
    });
  });
}

export async function helmOk(args: readonly string[]): Promise<string> {
  const result = await helm(args);
  if (result.exitCode !== 0) throw new Error(`helm ${args.join(' ')} failed (${result.exitCode}): ${result.stderr}`);
  return result.stdout;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export const manifests = (text: string): Manifest[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && typeof m === 'object');

/** `helm template` of the chart as release dockmaster in dockmaster-system, with --set pairs. */
export async function renderChart(...sets: string[]): Promise<Manifest[]> {
  return manifests(await helmOk(['template', 'dockmaster', CHART, '--namespace', 'dockmaster-system', ...sets.flatMap((s) => ['--set', s])]));
}
