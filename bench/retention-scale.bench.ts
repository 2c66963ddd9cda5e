/**
 * Retention at the scale the docs promise (the blast-radius issue): 100,000 tags in one
 * repository, and 1,000,000 tags in one run (1,000 repositories × 1,000 tags), planned the way
 * the operator runs (runRetention batch by batch of repositories, bounded report) under its
 * shipped node flags and default read limits. Against a synthetic
 * registry in a process of its own (bench/lib/synthetic-registry.ts: every tag its own manifest
 * and config, so one HEAD, one GET and one config GET per tag). Measures peak RSS against the
 * operator's memory limit and the time per tag; the baseline is a 10,000-tag run in the same
 * session, so the per-tag time ratio says whether the run scales linearly.
 * `npx tsx bench/retention-scale.bench.ts [--quick]`; the last line is JSON.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ChildResult } from './lib/retention-child.js';
import { shippedNodeFlags } from './lib/shipped-node-options.js';

const quick = process.argv.includes('--quick');
interface Size { repositories: number; tagsPerRepository: number }
const BASELINE: Size = { repositories: 10, tagsPerRepository: 1000 };
const CASES: Array<{ name: string; size: Size }> = quick
  ? [
      { name: '20k tags, one repository', size: { repositories: 1, tagsPerRepository: 20_000 } },
      { name: '100k tags, 100 repositories', size: { repositories: 100, tagsPerRepository: 1000 } },
    ]
  : [
      { name: '100k tags, one repository', size: { repositories: 1, tagsPerRepository: 100_000 } },
      { name: '1M tags, 1,000 repositories', size: { repositories: 1000, tagsPerRepository: 1000 } },
    ];
/** The operator's container limit (deploy/deployment.yaml): the run must fit beside the rest. */
const MEMORY_LIMIT_MB = 512;
/** Half the limit: the operator's own idle set (about 140 MB, the lean-process issue) and a smaller run beside it must fit too. */
const TARGETS = { peakRssMbMax: MEMORY_LIMIT_MB / 2, perTagTimeRatioMax: 2 };
const CONCURRENCY = 16;
const CHILD_BUNDLE = path.resolve('node_modules/.cache/dockmaster-bench/retention-child.mjs');

async function bundleChild(): Promise<void> {
  const esbuild = await import('esbuild');
  await esbuild.build({ entryPoints: ['bench/lib/retention-child.ts'], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: CHILD_BUNDLE, logLevel: 'warning' });
}

async function startServer(size: Size): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/synthetic-registry.ts', String(size.repositories), String(size.tagsPerRepository)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`synthetic registry exited with ${code}`)));
  });
  return { url, child };
}

function plan(url: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...shippedNodeFlags(), CHILD_BUNDLE, url, 'plan', String(CONCURRENCY), 'bounded'], { maxBuffer: 256 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`retention child failed: ${stderr || error.message}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ChildResult);
    });
  });
}

async function measure(name: string, size: Size) {
  const server = await startServer(size);
  try {
    const run = await plan(server.url);
    const tags = size.repositories * size.tagsPerRepository;
    const figure = { name, tags, outcome: run.outcome, error: run.error, seconds: run.durationMs / 1000, usPerTag: (run.durationMs * 1000) / tags, requests: run.requests, peakRssMb: Math.round(run.maxRssMb), planned: run.tags };
    process.stdout.write(`${name}: ${figure.outcome} in ${figure.seconds.toFixed(1)} s (${figure.usPerTag.toFixed(0)} µs/tag, ${run.requests} requests), peak RSS ${figure.peakRssMb} MB${run.error ? `: ${run.error.slice(0, 160)}` : ''}\n`);
    return figure;
  } finally {
    server.child.kill();
  }
}

async function main(): Promise<void> {
  await bundleChild();
  const baseline = await measure('baseline: 10k tags', BASELINE);
  const results = [];
  for (const c of CASES) results.push(await measure(c.name, c.size));
  const checks = results.map((r) => ({
    name: r.name,
    planned: r.outcome === 'DryRun' && r.planned === r.tags,
    peakRssMb: r.peakRssMb,
    rssOk: r.peakRssMb <= TARGETS.peakRssMbMax,
    perTagTimeRatio: r.usPerTag / baseline.usPerTag,
    timeOk: r.usPerTag / baseline.usPerTag <= TARGETS.perTagTimeRatioMax,
  }));
  const pass = checks.every((c) => c.planned && c.rssOk && c.timeOk);
  for (const c of checks) process.stdout.write(`${c.name}: ${c.planned ? 'every tag planned' : 'NOT ALL PLANNED'}, peak ${c.peakRssMb} MB (≤ ${TARGETS.peakRssMbMax} of a ${MEMORY_LIMIT_MB} MiB limit) ${c.rssOk ? 'ok' : 'MISSED'}, per-tag time ${c.perTagTimeRatio.toFixed(2)}× the 10k baseline ${c.timeOk ? 'ok' : 'MISSED'}\n`);
  process.stdout.write(`${pass ? 'PASS' : 'FAIL'}\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'retention-scale', quick, pass, baseline, results, checks, targets: TARGETS })}\n`);
  process.exitCode = pass ? 0 : 1;
}

void main();
