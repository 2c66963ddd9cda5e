import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, open, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { BUNDLE_ENTRY, buildBundle } from '../../scripts/bundle.js';
import { sleep } from './bench-output.js';
import { isAlive } from './process-stats.js';
import { parseSamples, sumSamples } from './prometheus-text.js';

/**
 * `dockmaster operator` in a child process of its own, so that its RSS, file descriptors and API
 * requests are its own and not the bench harness's. It runs as a bundle under plain node, the
 * way the built package runs, not under tsx: tsx's loader and esbuild would add their memory.
 */

const BUILD_DIR = path.resolve('.tmp/bench-build');

/**
 * Builds the shipped bundle (scripts/bundle.ts, what `npm run build` writes to dist/) into
 * .tmp/bench-build/dist, with a copy of package.json above it as in the package: the bench
 * measures the operator users run. Returns the bundle's entry.
 */
export async function bundleOperator(): Promise<string> {
  await mkdir(BUILD_DIR, { recursive: true });
  await copyFile('package.json', path.join(BUILD_DIR, 'package.json'));
  return (await buildBundle({ outdir: path.join(BUILD_DIR, 'dist') })).entry;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface OperatorChildOptions {
  kubeconfig: string;
  /** Operator configuration (YAML), written to `<workDir>/operator-config.yaml`. */
  configYaml?: string;
  workDir: string;
  logLevel?: string;
  /** Extra node flags, e.g. `--max-semi-space-size=2`, to measure their effect on memory. */
  nodeFlags?: readonly string[];
}

/** What the operator's own /metrics says about its apiserver requests. */
export interface OperatorRequestCounts {
  total: number;
  writes: number;
}

export class OperatorChild {
  private exitCode: number | null | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly healthPort: number,
    readonly logFile: string,
  ) {
    child.once('exit', (code, signal) => (this.exitCode = code ?? (signal ? -1 : null)));
  }

  /** Starts the bundled operator (bundleOperator() first) and waits for /readyz. */
  static async start(options: OperatorChildOptions): Promise<OperatorChild> {
    const healthPort = await freeLoopbackPort();
    const args = [...(options.nodeFlags ?? []), path.join(BUILD_DIR, 'dist', BUNDLE_ENTRY), 'operator', '--kubeconfig', options.kubeconfig, '--no-leader-elect', '--health-address', '127.0.0.1', '--health-port', String(healthPort)];
    if (options.configYaml !== undefined) {
      const configFile = path.join(options.workDir, 'operator-config.yaml');
      await writeFile(configFile, options.configYaml);
      args.push('--config', configFile);
    }
    const logFile = path.join(options.workDir, 'operator.log');
    const log = await open(logFile, 'a');
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', log.fd, log.fd],
      env: { ...process.env, DOCKMASTER_LOG_LEVEL: options.logLevel ?? 'warn' },
    });
    await log.close();
    const operator = new OperatorChild(child, healthPort, logFile);
    // A bench killed by a signal must not leave its operator behind, hammering a dead apiserver.
    process.once('exit', () => child.kill('SIGKILL'));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!operator.alive) throw new Error(`The operator exited with ${operator.exitCode} before it was ready; see ${logFile}`);
      try {
        if ((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200) return operator;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`The operator was not ready within 60 s; see ${logFile}`);
      await sleep(200);
    }
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('The operator process has no pid');
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitCode === undefined && isAlive(this.pid);
  }

  get exited(): number | null | undefined {
    return this.exitCode;
  }

  async metricsText(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.healthPort}/metrics`);
    return res.text();
  }

  /** From dockmaster_kube_api_requests_total: every request the operator sent, watches included. */
  async requestCounts(): Promise<OperatorRequestCounts> {
    const text = await this.metricsText();
    const name = 'dockmaster_kube_api_requests_total';
    const total = sumSamples(text, name);
    const reads = ['get', 'list', 'watch'].reduce((sum, verb) => sum + sumSamples(text, name, { verb }), 0);
    return { total, writes: total - reads };
  }

  /** The same count by `verb resource` (`patch deployments`), for the per-Registry breakdown. */
  async requestsByVerbAndResource(): Promise<Record<string, number>> {
    const byKey: Record<string, number> = {};
    for (const sample of parseSamples(await this.metricsText(), 'dockmaster_kube_api_requests_total')) {
      const key = `${sample.labels.verb} ${sample.labels.resource}`;
      byKey[key] = (byKey[key] ?? 0) + sample.value;
    }
    return byKey;
  }

  /** prom-client's default Node metrics: where the RSS goes (heap used, heap total, external), in MB. */
  async heapBreakdown(): Promise<{ heapUsedMb: number; heapTotalMb: number; externalMb: number }> {
    const text = await this.metricsText();
    const mb = (name: string): number => Math.round(sumSamples(text, name) / 2 ** 20);
    return { heapUsedMb: mb('nodejs_heap_size_used_bytes'), heapTotalMb: mb('nodejs_heap_size_total_bytes'), externalMb: mb('nodejs_external_memory_bytes') };
  }

  /** Node's own count of what keeps the event loop alive (prom-client default metrics): timers and handles. */
  async activeResources(): Promise<{ timers: number; handles: number }> {
    const text = await this.metricsText();
    return { timers: sumSamples(text, 'nodejs_active_resources', { type: 'Timeout' }), handles: sumSamples(text, 'nodejs_active_handles_total') };
  }

  /** SIGTERM, then the exit code (SIGKILL after 15 s). */
  async stop(): Promise<number | null | undefined> {
    if (!this.alive) return this.exitCode;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    return this.exitCode;
  }
}
