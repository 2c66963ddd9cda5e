import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { Agent, fetch } from 'undici';
import { stringify } from 'yaml';
import { buildRegistryConfig } from './registry-config.js';
import { createLoopbackTls, type LoopbackTlsMaterial } from './tls.js';
import type { TokenIssuer } from './token-issuer.js';
import type { S3Server } from './s3.js';
import { DEBIAN_REGISTRY_BINARY, REGISTRY_LINES, registryBinary, type RegistryLine } from '../servers/binaries.js';
import { isProcessRunning, spawnDyingWithParent } from './spawn-tied.js';

/**
 * Runs Debian's distribution 2.8.2 (`/usr/bin/docker-registry serve`) on a free loopback port with
 * a config the test chooses. See contract.md for the promises made to other tests.
 */

export const DOCKER_REGISTRY_BINARY = DEBIAN_REGISTRY_BINARY;

/** The version startRegistry runs unless told: $DOCKMASTER_REGISTRY_VERSION (the 3.1.2 test project sets it), else 2.8.2. */
export function defaultRegistryLine(): RegistryLine {
  const fromEnv = process.env.DOCKMASTER_REGISTRY_VERSION;
  if (fromEnv === undefined || fromEnv === '') return '2.8.2';
  if (!(REGISTRY_LINES as readonly string[]).includes(fromEnv)) throw new TestRegistryError(`DOCKMASTER_REGISTRY_VERSION=${fromEnv}: expected one of ${REGISTRY_LINES.join(', ')}`);
  return fromEnv as RegistryLine;
}
const READY_TIMEOUT_MS = 20_000;
const OUTPUT_TAIL_BYTES = 16_384;

export class TestRegistryError extends Error {
  readonly code = 'DM_ERR_TEST_REGISTRY';
  constructor(message: string) {
    super(message);
    this.name = 'TestRegistryError';
  }
}

export interface RegistryProcessOptions {
  /** Which distribution runs: Debian's 2.8.2 or the 3.1.2 build. Default: defaultRegistryLine(). */
  version?: RegistryLine;
  deleteEnabled?: boolean;
  readOnly?: boolean;
  htpasswd?: Record<string, string>;
  tokenAuth?: TokenIssuer;
  tls?: boolean;
  storageDir?: string;
  /** S3 storage on this server and bucket (test/harness/s3.ts) instead of a directory. */
  s3?: { server: S3Server; bucket: string; rootDirectory?: string };
  extraConfig?: Record<string, unknown>;
}

export interface RunningRegistry {
  /** The distribution version running (the matrix names it in failures). */
  version: RegistryLine;
  /** The binary, for `garbage-collect` on the same config. */
  binary: string;
  url: string;
  host: string;
  storageDir: string;
  configPath: string;
  caPem?: string;
  /** The registry process's pid while it runs (benches read its memory). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
  restart(overrides?: Partial<RegistryProcessOptions>): Promise<void>;
}

/**
 * The environment a registry process (serve or garbage-collect) gets from the test run: REGISTRY_*
 * variables override config.yml in distribution, so none may leak in, and AWS_CA_BUNDLE makes
 * distribution's S3 driver panic at start (this machine exports it).
 */
export function registryProcessEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REGISTRY_') && name !== 'AWS_CA_BUNDLE'));
}

export async function startRegistry(options: RegistryProcessOptions = {}): Promise<RunningRegistry> {
  checkOptions(options);
  sweptAbandoned ??= sweepAbandonedWorkDirs();
  await sweptAbandoned;
  const workDir = await mkdtemp(path.join(tmpdir(), WORK_DIR_PREFIX));
  await writeFile(path.join(workDir, OWNER_FILE), String(process.pid));
  const storageDir = options.storageDir ?? path.join(workDir, 'storage');
  await mkdir(storageDir, { recursive: true });
  const registry = new RegistryInstance(workDir, storageDir, options);
  try {
    await registry.launch(undefined);
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  return registry;
}

const WORK_DIR_PREFIX = 'dockmaster-registry-';
const OWNER_FILE = 'owner.pid';
let sweptAbandoned: Promise<void> | undefined;

/** Temp folders left by a test process that was SIGKILLed (no exit hook ran): removed once its owner is gone. */
async function sweepAbandonedWorkDirs(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(WORK_DIR_PREFIX)) continue;
    const dir = path.join(tmpdir(), name);
    const owner = Number(await readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => ''));
    if (owner > 0 && !isProcessRunning(owner)) await rm(dir, { recursive: true, force: true });
  }
}

function checkOptions(options: RegistryProcessOptions): void {
  if (options.htpasswd && options.tokenAuth) {
    throw new TestRegistryError('startRegistry: choose htpasswd or tokenAuth, not both (distribution runs one auth provider)');
  }
}

class RegistryInstance implements RunningRegistry {
  readonly version: RegistryLine;
  readonly binary: string;
  url = '';
  host = '';
  caPem: string | undefined;
  readonly configPath: string;
  private port = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  private tlsMaterial: LoopbackTlsMaterial | undefined;
  private stopped = false;

  get pid(): number | undefined {
    return this.child?.pid;
  }

  constructor(
    private readonly workDir: string,
    readonly storageDir: string,
    private options: RegistryProcessOptions,
  ) {
    this.configPath = path.join(workDir, 'config.yml');
    this.version = options.version ?? defaultRegistryLine();
    this.binary = registryBinary(this.version);
  }

  /** Starts the process; a fresh port retries when another process took it between probe and bind. */
  async launch(fixedPort: number | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.port = fixedPort ?? (await freeLoopbackPort());
      await this.writeConfig();
      this.spawnProcess();
      try {
        await this.waitUntilReady();
        return;
      } catch (error) {
        await this.stopProcess();
        const portTaken = this.output.includes('address already in use');
        if (!portTaken || attempt >= 5) throw error;
        // On restart the old process may still hold the socket for a moment: same port, short wait.
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  private async writeConfig(): Promise<void> {
    const { options, workDir } = this;
    let htpasswdPath: string | undefined;
    if (options.htpasswd) {
      htpasswdPath = path.join(workDir, 'htpasswd');
      // bcrypt only: distribution 2.8's htpasswd reader rejects other hash kinds. Cost 4 keeps
      // the registry's per-request check cheap for concurrency tests.
      const lines = Object.entries(options.htpasswd).map(([user, password]) => `${user}:${bcrypt.hashSync(password, 4)}`);
      await writeFile(htpasswdPath, `${lines.join('\n')}\n`);
    }
    let token;
    if (options.tokenAuth) {
      const rootCertBundlePath = path.join(workDir, 'token-root.pem');
      await writeFile(rootCertBundlePath, options.tokenAuth.rootCertBundlePem);
      const { realm, service, issuer } = options.tokenAuth;
      token = { realm, service, issuer, rootCertBundlePath };
    }
    let tls;
    this.caPem = undefined;
    if (options.tls) {
      this.tlsMaterial ??= await createLoopbackTls();
      tls = { certificatePath: path.join(workDir, 'tls.crt'), keyPath: path.join(workDir, 'tls.key') };
      await writeFile(tls.certificatePath, this.tlsMaterial.certPem);
      await writeFile(tls.keyPath, this.tlsMaterial.keyPem, { mode: 0o600 });
      this.caPem = this.tlsMaterial.caPem;
    }
    const config = buildRegistryConfig({
      port: this.port,
      storageDir: this.storageDir,
      deleteEnabled: options.deleteEnabled ?? true,
      readOnly: options.readOnly ?? false,
      httpSecret: randomBytes(16).toString('hex'),
      htpasswdPath,
      token,
      tls,
      ...(options.s3 && {
        s3: {
          endpoint: options.s3.server.endpoint,
          region: options.s3.server.region,
          bucket: options.s3.bucket,
          accessKey: options.s3.server.accessKey,
          secretKey: options.s3.server.secretKey,
          ...(options.s3.rootDirectory && { rootDirectory: options.s3.rootDirectory }),
          version: this.version,
        },
      }),
      extraConfig: options.extraConfig,
    });
    await writeFile(this.configPath, stringify(config));
    this.host = `127.0.0.1:${this.port}`;
    this.url = `${options.tls ? 'https' : 'http'}://${this.host}`;
  }

  private spawnProcess(): void {
    installExitHooks();
    this.output = '';
    const env = registryProcessEnv();
    // 3.x before 3.1.0 exports traces to localhost:4318 unless told not to; harmless on the rest.
    if (this.version !== '2.8.2') env.OTEL_TRACES_EXPORTER = 'none';
    const args = ['serve', this.configPath];
    const child = spawnDyingWithParent(this.binary, args, { env });
    const keepTail = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
    };
    child.stdout?.on('data', keepTail);
    child.stderr?.on('data', keepTail);
    liveRegistries.set(child, this.workDir);
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (error) => {
        this.output += `\nspawn failed: ${error.message}`;
        resolve();
      });
    }).then(() => {
      liveRegistries.delete(child);
    });
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const dispatcher = new Agent({ connect: { ca: this.caPem }, pipelining: 0 });
    try {
      for (;;) {
        if (this.child?.exitCode !== null || this.child.signalCode !== null) throw this.failure('exited before answering /v2/');
        const status = await fetch(`${this.url}/v2/`, { dispatcher }).then(
          async (res) => {
            await res.arrayBuffer();
            return res.status;
          },
          () => 0,
        );
        if (status === 200 || status === 401) return;
        if (Date.now() > deadline) throw this.failure(`did not answer /v2/ with 200 or 401 within ${READY_TIMEOUT_MS} ms (last status ${status})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await dispatcher.close();
    }
  }

  private failure(what: string): TestRegistryError {
    const tail = this.output.trimEnd().split('\n').slice(-20).join('\n');
    return new TestRegistryError(`docker-registry on ${this.host} ${what}; config ${this.configPath}; output tail:\n${tail || '(none)'}`);
  }

  private async stopProcess(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  async restart(overrides: Partial<RegistryProcessOptions> = {}): Promise<void> {
    if (this.stopped) throw new TestRegistryError('restart after stop: start a new registry instead');
    const next = { ...this.options, ...overrides, storageDir: this.storageDir };
    checkOptions(next);
    this.options = next;
    await this.stopProcess();
    await this.launch(this.port);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.stopProcess();
    // The storage folder lives inside workDir unless the caller provided it, so theirs survives.
    await rm(this.workDir, { recursive: true, force: true });
  }
}

/** Running registry processes and the temp folder each one's instance owns. */
const liveRegistries = new Map<ChildProcess, string>();
let exitHooksInstalled = false;

/** Kills every registry still running when the test process ends (and removes its temp folder), so no run leaves orphans. */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killLiveRegistries);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // Only when nobody else handles the signal: then Node would die without running 'exit' hooks.
    if (process.listenerCount(signal) > 0) continue;
    const onSignal = (): void => {
      killLiveRegistries();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function killLiveRegistries(): void {
  for (const [child, workDir] of liveRegistries) {
    child.kill('SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** A loopback TCP port that was free a moment ago. */
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
