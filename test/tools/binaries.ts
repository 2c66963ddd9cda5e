/**
 * Where the Go-built test tools live: helm and promql-check. From `$DOCKMASTER_TOOLS_BIN`, else
 * from build-tools.sh, which prints its cache folder at once when they are built and builds them
 * otherwise (a few minutes the first time).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOOLS_BIN_ENV = 'DOCKMASTER_TOOLS_BIN';
const buildScript = fileURLToPath(new URL('./build-tools.sh', import.meta.url));

let binDir: string | undefined;

export function toolsBinDir(): string {
  if (binDir) return binDir;
  const fromEnv = process.env[TOOLS_BIN_ENV];
  const dir = fromEnv && fromEnv.length > 0 ? fromEnv : execFileSync('bash', [buildScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1) ?? '';
  for (const name of ['helm', 'promql-check']) {
    if (!existsSync(join(dir, name))) throw new Error(`${name} missing in ${dir} (from ${fromEnv ? TOOLS_BIN_ENV : buildScript})`);
  }
  binDir = dir;
  return dir;
}

export const helmBinary = (): string => join(toolsBinDir(), 'helm');
export const promqlCheckBinary = (): string => join(toolsBinDir(), 'promql-check');
