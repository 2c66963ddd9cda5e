/**
 * A real S3 server for the tests: versitygw (Apache-2.0, built by test/servers/build-binaries.sh)
 * serving a directory with its posix backend, on loopback. Top-level folders of the directory are
 * buckets and objects are files below them, so a test can measure what the registry stored (and
 * what garbage-collect freed) on the backend itself.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { serversBinDir } from '../servers/binaries.js';
import { freeLoopbackPort } from './registry.js';
import { spawnDyingWithParent } from './spawn-tied.js';

export interface S3Server {
  /** http://127.0.0.1:port */
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  /** The directory the server stores buckets in: `<root>/<bucket>/<key>`. */
  root: string;
  createBucket(name: string): Promise<string>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;

export async function startS3Server(): Promise<S3Server> {
  const root = await mkdtemp(path.join(tmpdir(), 'dockmaster-s3-'));
  const port = await freeLoopbackPort();
  const accessKey = `AK${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretKey = randomBytes(20).toString('hex');
  const sidecar = path.join(root, '.meta');
  await mkdir(sidecar);
  const data = path.join(root, 'data');
  await mkdir(data);
  // The sidecar keeps object metadata in files: /tmp may lack user extended attributes.
  const child: ChildProcess = spawnDyingWithParent(
    path.join(serversBinDir(), 'versitygw'),
    ['--port', `127.0.0.1:${port}`, '--access', accessKey, '--secret', secretKey, '--region', 'us-east-1', 'posix', '--sidecar', sidecar, data],
    { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    // Any HTTP answer (403 to an unsigned request) means it serves.
    const up = await fetch(`${endpoint}/`).then(() => true, () => false);
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`versitygw did not start on ${endpoint}: ${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint,
    region: 'us-east-1',
    accessKey,
    secretKey,
    root: data,
    async createBucket(name) {
      // The posix backend: a top-level directory is a bucket.
      await mkdir(path.join(data, name));
      return name;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      await rm(root, { recursive: true, force: true });
    },
  };
}
