import { spawn, type ChildProcess } from 'node:child_process';
import { registryBinary, registryLineOfImage } from '../servers/binaries.js';
import { createWriteStream } from 'node:fs';
import { access, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import type { CoreV1Api, V1PodTemplateSpec, V1Probe } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { localPathFor, materialiseVolumes, PodStartError, resolveEnv, type MaterialisedVolumes } from './pod-volumes.js';

/** Debian's build of distribution; the image's `registry` binary stands for it. */

export interface PreparedContainer {
  /** The registry binary of the version the container's image names (servers/binaries.ts). */
  binary: string;
  /** `serve` or `garbage-collect`, from the container command. */
  subcommand: string;
  /** Arguments after the config path (e.g. `--delete-untagged`). */
  extraArgs: string[];
  localConfigPath: string;
  /** Port the rewritten config listens on (serve only). */
  port: number;
  /** The port the container declared in its config (`:5000`), which its probes name. */
  containerPort: number;
  env: Record<string, string>;
  readinessProbe: V1Probe | undefined;
  tls: boolean;
  /**
   * Set for the `sh -c SCRIPT NAME CONFIG [ARGS…]` form (the GC Job's script): the script runs
   * under /bin/sh with `registry` on PATH standing for docker-registry; CONFIG is the rewritten
   * config and every other argument that is a path on a volume is its local directory.
   */
  shell?: { script: string; name: string; args: string[]; binDir: string };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

type ConfigDoc = { [key: string]: unknown };
function section(doc: ConfigDoc, key: string): ConfigDoc | undefined {
  const value = doc[key];
  return value && typeof value === 'object' ? (value as ConfigDoc) : undefined;
}

function onVolume(volumes: MaterialisedVolumes, what: string, containerPath: unknown): string {
  const local = typeof containerPath === 'string' ? localPathFor(volumes, containerPath) : undefined;
  if (!local) throw new PodStartError(`${what} ${String(containerPath)} is on no volume: in the pod it would not exist (read-only root filesystem)`);
  return local;
}

/**
 * Rewrites the operator's config for this machine: the listen address (loopback, free port)
 * and every path (storage, htpasswd, certificates) to where its volume is materialised.
 * Nothing else changes, so a wrong generated config fails here as it would in a pod.
 */
function rewriteConfig(doc: ConfigDoc, volumes: MaterialisedVolumes, port: number): { containerPort: number; tls: boolean } {
  const http = section(doc, 'http') ?? {};
  const addr = typeof http.addr === 'string' ? http.addr : ':5000';
  const containerPort = Number(addr.slice(addr.lastIndexOf(':') + 1));
  http.addr = `127.0.0.1:${port}`;
  const tls = section(http, 'tls');
  if (tls) {
    tls.certificate = onVolume(volumes, 'http.tls.certificate', tls.certificate);
    tls.key = onVolume(volumes, 'http.tls.key', tls.key);
  }
  doc.http = http;
  const filesystem = section(section(doc, 'storage') ?? {}, 'filesystem');
  if (filesystem) filesystem.rootdirectory = onVolume(volumes, 'storage.filesystem.rootdirectory', filesystem.rootdirectory);
  const htpasswd = section(section(doc, 'auth') ?? {}, 'htpasswd');
  if (htpasswd) htpasswd.path = onVolume(volumes, 'auth.htpasswd.path', htpasswd.path);
  return { containerPort, tls: tls !== undefined };
}

/** Turns a pod template into a runnable docker-registry invocation on this machine. */
export async function prepareContainer(
  core: CoreV1Api,
  namespace: string,
  template: V1PodTemplateSpec,
  dirs: { podDir: string; pvcRoot: string },
): Promise<PreparedContainer> {
  const podSpec = template.spec;
  const container = podSpec?.containers[0];
  if (!podSpec || !container) throw new PodStartError('pod template has no container');
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  const shellForm = path.basename(argv[0] ?? '') === 'sh' && argv[1] === '-c';
  const [binary, subcommand, configPath, ...extraArgs] = shellForm ? ['registry', 'sh', argv[4] ?? '', ...argv.slice(5)] : argv;
  if (!binary || path.basename(binary) !== 'registry' || !subcommand || !configPath) {
    throw new PodStartError(`container command ${JSON.stringify(argv)} is not "registry <serve|garbage-collect> <config>" or "sh -c SCRIPT NAME CONFIG [ARGS…]"`);
  }
  await mkdir(dirs.podDir, { recursive: true });
  const volumes = await materialiseVolumes(core, namespace, podSpec, dirs);
  const sourceConfig = onVolume(volumes, 'config file', configPath);
  await access(sourceConfig).catch(() => {
    throw new PodStartError(`config file ${configPath} is not in its volume`);
  });
  const doc = parse(await readFile(sourceConfig, 'utf8')) as ConfigDoc;
  const port = await freePort();
  const { containerPort, tls } = rewriteConfig(doc, volumes, port);
  const localConfigPath = path.join(dirs.podDir, 'config.yml');
  await writeFile(localConfigPath, stringify(doc));
  const env = await resolveEnv(core, namespace, container.env);
  // The version the image names runs: 2.x Debian's 2.8.2, 3.x the 3.1.2 build.
  const registryProgram = registryBinary(registryLineOfImage(container.image));
  let shell: PreparedContainer['shell'];
  if (shellForm) {
    const binDir = path.join(dirs.podDir, 'bin');
    await mkdir(binDir, { recursive: true });
    await symlink(registryProgram, path.join(binDir, 'registry')).catch(() => undefined);
    const args = extraArgs.map((arg) => (arg.startsWith('/') ? localPathFor(volumes, arg) ?? arg : arg));
    shell = { script: argv[2] ?? '', name: argv[3] ?? 'sh', args, binDir };
  }
  return { binary: registryProgram, subcommand, extraArgs, localConfigPath, port, containerPort, env, readinessProbe: container.readinessProbe, tls, ...(shell ? { shell } : {}) };
}

/** Starts the prepared container's process; stdout and stderr go to `logFile`. */
export function spawnRegistry(prepared: PreparedContainer, logFile: string): ChildProcess {
  const log = createWriteStream(logFile, { flags: 'a' });
  const systemPath = process.env.PATH ?? '/usr/bin:/bin';
  const { shell } = prepared;
  const child = shell
    ? spawn('/bin/sh', ['-c', shell.script, shell.name, prepared.localConfigPath, ...shell.args], {
        env: { PATH: `${shell.binDir}:${systemPath}`, ...prepared.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(prepared.binary, [prepared.subcommand, prepared.localConfigPath, ...prepared.extraArgs], {
        env: { PATH: systemPath, ...prepared.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  // Both pipes share one file: neither may end it, and 'exit' can come before the last
  // buffered output, so the file closes on 'close' (after both pipes drained).
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('close', () => log.end());
  return child;
}

/**
 * Runs the container's readiness probe once, as the kubelet would, against the local process.
 * The probe names the container port; if that is not the port the config listens on, the
 * probe fails here as it would in the cluster.
 */
export async function probeOnce(prepared: PreparedContainer): Promise<boolean> {
  const probe = prepared.readinessProbe;
  if (!probe) return true;
  const probePort = probe.httpGet?.port ?? probe.tcpSocket?.port;
  if (Number(probePort) !== prepared.containerPort) return false;
  if (probe.tcpSocket) return tcpConnects(prepared.port);
  const scheme = probe.httpGet?.scheme === 'HTTPS' ? 'https' : 'http';
  const status = await httpStatus(`${scheme}://127.0.0.1:${prepared.port}${probe.httpGet?.path ?? '/'}`).catch(() => 0);
  return status >= 200 && status < 400;
}

async function httpStatus(url: string): Promise<number> {
  // The kubelet does not verify serving certificates of probes; neither do we.
  const { Agent, request } = await import('undici');
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false }, connectTimeout: 1000 });
  try {
    const response = await request(url, { dispatcher, headersTimeout: 2000, bodyTimeout: 2000 });
    await response.body.dump();
    return response.statusCode;
  } finally {
    await dispatcher.close();
  }
}

function tcpConnects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 1000 });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}
