/**
 * `npx tsx test/controlplane/cli.ts up [--controller-manager] [--keep]`: starts a local control
 * plane, prints how to reach it, and stops it on Ctrl-C (or SIGTERM).
 * `npx tsx test/controlplane/cli.ts build`: builds (or finds) the binaries and prints their folder.
 */
import { readFileSync } from 'node:fs';
import { runBuildScript } from './binaries.js';
import { startControlPlane } from './control-plane.js';

const USAGE = 'Usage: cli.ts up [--controller-manager] [--keep] | cli.ts build';

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024);
}

async function up(flags: readonly string[]): Promise<void> {
  const began = Date.now();
  const plane = await startControlPlane({ keepDir: flags.includes('--keep') });
  // Measured before kube-controller-manager starts: a process just spawned has no meaningful RSS yet.
  const memory = Object.entries(plane.pids()).map(([name, pid]) => `${name} ${rssMiB(pid)} MiB`);
  if (flags.includes('--controller-manager')) await plane.startControllerManager();
  process.stdout.write(
    [
      `Control plane up in ${Date.now() - began} ms at ${plane.server}`,
      `Processes: ${memory.join(', ')}`,
      `Logs and data: ${plane.dir}`,
      `export KUBECONFIG=${plane.kubeconfigPath}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('Stopping…\n');
  await plane.stop();
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...flags] = argv;
  if (command === 'up') {
    await up(flags);
    return 0;
  }
  if (command === 'build') {
    process.stdout.write(`${await runBuildScript()}\n`);
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
