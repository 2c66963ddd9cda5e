import type { ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { spawnDyingWithParent } from '../harness/spawn-tied.js';

/**
 * Child processes of the control plane: each one's stdout and stderr go to a log file whose tail
 * is quoted in errors, and every process still running is killed when this Node process exits,
 * so a crashed test run leaves no etcd or apiserver behind.
 */

export class ControlPlaneProcessError extends Error {
  readonly code = 'DM_ERR_CONTROL_PLANE_PROCESS';
  constructor(message: string) {
    super(message);
    this.name = 'ControlPlaneProcessError';
  }
}

const running = new Set<ChildProcess>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllRunning);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // Only when nobody else handles the signal: then Node would die without running 'exit' hooks.
    if (process.listenerCount(signal) > 0) continue;
    const onSignal = (): void => {
      killAllRunning();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function killAllRunning(): void {
  for (const child of running) child.kill('SIGKILL');
}

export class ManagedProcess {
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    readonly logPath: string,
    child: ChildProcess,
  ) {
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        this.exitCode = code ?? (signal ? -1 : null);
        resolve(this.exitCode);
      });
      child.once('error', () => {
        running.delete(child);
        this.exitCode = -1;
        resolve(-1);
      });
    });
  }

  static start(name: string, binary: string, args: readonly string[], logPath: string): ManagedProcess {
    installExitHooks();
    const log = createWriteStream(logPath, { flags: 'a' });
    log.write(`# ${new Date().toISOString()} ${binary} ${args.join(' ')}\n`);
    const child = spawnDyingWithParent(binary, args);
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    running.add(child);
    return new ManagedProcess(name, logPath, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitCode !== undefined;
  }

  /** The last lines of the process's log, for error messages. */
  logTail(lines = 25): string {
    try {
      return readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** An error naming the process, its exit state and its log tail. */
  failure(what: string): ControlPlaneProcessError {
    const state = this.hasExited ? `exited with ${String(this.exitCode)}` : 'still running';
    return new ControlPlaneProcessError(`${this.name} ${what} (${state}; log ${this.logPath}):\n${this.logTail()}`);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.hasExited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A loopback TCP port that was free a moment ago (the OS picks it; the caller binds it next). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `probe` until it returns true; fails early with the process's log when it exits, or
 * with the log tail after `timeoutMs`.
 */
export async function waitUntil(
  process: ManagedProcess,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (process.hasExited) throw process.failure(`exited before ${what}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw process.failure(`was not ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
