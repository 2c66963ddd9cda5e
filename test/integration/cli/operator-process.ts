import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { eventually } from '../runtime/wait.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface OperatorProcess {
  port: number;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  kill(): void;
}

/** Starts `dockmaster operator` from source as a user would, and waits for /readyz. */
export async function startOperatorProcess(options: { kubeconfig: string; configYaml: string; configFile: string; watchNamespace?: string }): Promise<OperatorProcess> {
  await writeFile(options.configFile, options.configYaml);
  const port = await freePort();
  const args = ['--import', 'tsx', 'src/cli/entry.ts', 'operator', '--kubeconfig', options.kubeconfig, '--config', options.configFile];
  if (options.watchNamespace) args.push('--watch-namespace', options.watchNamespace);
  args.push('--health-address', '127.0.0.1', '--health-port', String(port));
  // node directly (not npx) so SIGTERM reaches the operator itself.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKMASTER_LOG_LEVEL: 'warn' } });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(res.status, stderr).toBe(200);
  }, 60_000, 250);
  return {
    port,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    kill: () => child.kill('SIGKILL'),
  };
}
