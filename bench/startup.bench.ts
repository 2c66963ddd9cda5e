/**
 * Start-up of the CLI as users run it (issue 21): the built `bin/dockmaster.js` against
 * `node -e 0` in the same run, medians of 5, with each process's peak RSS (GNU time's %M).
 * `npx tsx bench/startup.bench.ts [--quick]` builds dist/ first. `BENCH_NODE=/path/to/node`
 * measures another Node.js (both the baseline and the CLI run on it): how the Node 24 decision
 * in docs/benchmarks.md was measured. Not measured here yet: the operator's and the webhook's
 * idle RSS, and `retention plan` up to its first request.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkTargets, log, printResult, runBench } from './lib/bench-output.js';

const run = promisify(execFile);
const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 5;
const TARGETS = { versionOverNode: 2, helpOverNode: 2, admitOverNode: 3, admitPeakMiB: 70, admit200OverAdmit1: 2 };

const pod = (i: number): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}, namespace: default}\nspec: {containers: [{name: c, image: registry.k8s.io/pause:3.10}]}\n`;

/** Wall seconds and peak RSS (MiB) of one process, from GNU time; the command's own exit code is ignored. */
async function measureOnce(args: string[]): Promise<{ seconds: number; peakMiB: number }> {
  const started = performance.now();
  const { stderr } = await run('/usr/bin/time', ['-f', 'TIME %M', ...args]).catch((error: { stderr?: string }) => ({ stderr: error.stderr ?? '' }));
  const seconds = (performance.now() - started) / 1000;
  const kb = Number(/TIME (\d+)/.exec(stderr)?.[1] ?? NaN);
  return { seconds, peakMiB: kb / 1024 };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(label: string, args: string[]): Promise<{ seconds: number; peakMiB: number }> {
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push(await measureOnce(args));
  const result = { seconds: median(samples.map((s) => s.seconds)), peakMiB: median(samples.map((s) => s.peakMiB)) };
  log(`${label.padEnd(34)} ${result.seconds.toFixed(3)} s  ${result.peakMiB.toFixed(0)} MiB`);
  return result;
}

async function main(): Promise<number> {
  await run('npm', ['run', '--silent', 'build']);
  const dir = await mkdtemp(path.join(tmpdir(), 'dm-startup-'));
  try {
    const one = path.join(dir, 'pod.yaml');
    const many = path.join(dir, 'pods.yaml');
    await writeFile(one, pod(0));
    await writeFile(many, Array.from({ length: 200 }, (_, i) => pod(i)).join('---\n'));
    const nodeBinary = process.env.BENCH_NODE ?? 'node';
    log(`Node.js: ${(await run(nodeBinary, ['--version'])).stdout.trim()}`);
    const cli = [nodeBinary, 'bin/dockmaster.js'];
    const node = await measure('node -e 0', [nodeBinary, '-e', '0']);
    const version = await measure('dockmaster version', [...cli, 'version']);
    const help = await measure('dockmaster --help', [...cli, '--help']);
    const admit = await measure('dockmaster admit (1 Pod)', [...cli, 'admit', '-f', one, '--allow', 'registry.k8s.io']);
    const admit200 = await measure('dockmaster admit (200 Pods, one call)', [...cli, 'admit', '-f', many, '--allow', 'registry.k8s.io']);
    const ratio = (a: { seconds: number }, b: { seconds: number }): number => Number((a.seconds / b.seconds).toFixed(2));
    const verdict = checkTargets({
      versionOverNode: { value: ratio(version, node), max: TARGETS.versionOverNode },
      helpOverNode: { value: ratio(help, node), max: TARGETS.helpOverNode },
      admitOverNode: { value: ratio(admit, node), max: TARGETS.admitOverNode },
      admitPeakMiB: { value: Math.round(admit.peakMiB), max: TARGETS.admitPeakMiB },
      admit200OverAdmit1: { value: ratio(admit200, admit), max: TARGETS.admit200OverAdmit1 },
    });
    const figures = Object.fromEntries(
      Object.entries({ node, version, help, admit, admit200 }).map(([k, v]) => [k, { seconds: Number(v.seconds.toFixed(3)), peakMiB: Math.round(v.peakMiB) }]),
    );
    return printResult('startup', figures, verdict);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

runBench(main);
