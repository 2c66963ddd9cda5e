/**
 * `npm run bench [-- --quick] [-- name…]`: runs every bench/*.bench.ts (or those whose name
 * contains one of the given words) one after the other, each in a child process (they measure
 * CPU time and memory: running two at once would spoil both), collects each final JSON line,
 * prints a summary table, writes bench/results/latest.json and exits 1 if any bench missed a
 * target or crashed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { log } from './lib/bench-output.js';
import { finalJsonLine, runPassed, selectBenches, summaryTable, type BenchRun } from './lib/bench-runs.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filters = args.filter((a) => !a.startsWith('--'));

function runOne(name: string): Promise<BenchRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', `bench/${name}.bench.ts`, ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout += `${line}\n`;
      log(`  ${line}`);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const result = finalJsonLine(stdout);
      resolve({ name, exitCode: code, durationS: (performance.now() - started) / 1000, result, pass: runPassed(code, result) });
    });
  });
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const names = selectBenches(await readdir('bench'), filters);
  if (names.length === 0) {
    log(`No bench matches ${filters.join(', ')}`);
    return 2;
  }
  const startedAt = new Date().toISOString();
  const runs: BenchRun[] = [];
  for (const name of names) {
    log(`== ${name}${quick ? ' (--quick)' : ''}`);
    runs.push(await runOne(name));
  }
  log('');
  log(summaryTable(runs));
  await mkdir('bench/results', { recursive: true });
  const record = { startedAt, quick, commit: gitCommit(), node: process.version, cpus: cpus().length, loadAverage: loadavg(), runs };
  await writeFile('bench/results/latest.json', `${JSON.stringify(record, null, 2)}\n`);
  log('Wrote bench/results/latest.json');
  return runs.every((r) => r.pass) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
