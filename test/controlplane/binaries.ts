import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ControlPlaneProcessError } from './processes.js';

/** Where etcd, kube-apiserver and kube-controller-manager live. */
export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiServer: string;
  kubeControllerManager: string;
}

export const BIN_DIR_ENV = 'DOCKMASTER_CONTROLPLANE_BIN';
const buildScript = fileURLToPath(new URL('./build-binaries.sh', import.meta.url));

/**
 * The binaries from `$DOCKMASTER_CONTROLPLANE_BIN`, else from the build script, which prints its
 * cache folder at once when the pinned versions are already built and builds them otherwise
 * (many minutes the first time; its progress goes to our stderr).
 */
export async function locateControlPlaneBinaries(): Promise<ControlPlaneBinaries> {
  const fromEnv = process.env[BIN_DIR_ENV];
  const binDir = fromEnv && fromEnv.length > 0 ? fromEnv : await runBuildScript();
  const binaries = {
    etcd: join(binDir, 'etcd'),
    kubeApiServer: join(binDir, 'kube-apiserver'),
    kubeControllerManager: join(binDir, 'kube-controller-manager'),
  };
  const missing = Object.values(binaries).filter((path) => !existsSync(path));
  if (missing.length > 0) {
    const source = fromEnv ? `${BIN_DIR_ENV}=${fromEnv}` : buildScript;
    throw new ControlPlaneProcessError(`Control-plane binaries missing (from ${source}): ${missing.join(', ')}`);
  }
  return binaries;
}

/** Runs the build script (idempotent) and returns the folder it prints on its last line. */
export async function runBuildScript(): Promise<string> {
  const child = promisify(execFile)('bash', [buildScript], { maxBuffer: 16 * 1024 * 1024 });
  // The first build runs for minutes: show its progress as it happens.
  child.child.stderr?.pipe(process.stderr);
  const { stdout } = await child;
  const binDir = stdout.trim().split('\n').at(-1);
  if (!binDir) throw new ControlPlaneProcessError(`${buildScript} printed no folder`);
  return binDir;
}
