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

/**
 * Starts `dockmaster webhook` from source with leader election, listening on 127.0.0.1:`port`
 * (the apiserver calls it by the configuration's clientConfig.url), and waits for /readyz.
 * `config` is the operator configuration as deployed; only the listen address is changed.
 */
export async function startWebhookProcess(options: { kubeconfig: string; config: Record<string, unknown>; port: number; configFile: string; podName?: string }): Promise<OperatorProcess> {
  const admission = (options.config.admission ?? {}) as { webhook?: Record<string, unknown> };
  const configYaml = JSON.stringify({ ...options.config, admission: { ...admission, webhook: { ...admission.webhook, host: '127.0.0.1', port: options.port } } });
  await writeFile(options.configFile, configYaml);
  const healthPort = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/entry.ts', 'webhook', '--kubeconfig', options.kubeconfig, '--config', options.configFile, '--leader-elect', '--health-address', '127.0.0.1', '--health-port', String(healthPort)],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DOCKMASTER_LOG_LEVEL: 'warn', POD_NAME: options.podName ?? 'webhook-0' } },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await eventually(async () => expect((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status, stderr).toBe(200), 60_000, 250);
  return {
    port: healthPort,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    kill: () => child.kill('SIGKILL'),
  };
}
