/**
 * A folder of Go-built binaries in the cache outside the repository: from an environment
 * variable when set, else from a build script that prints the folder on its last line (at once
 * when the pinned versions are built, after building them otherwise). Resolved once per process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function cachedBinDir(options: { env: string; buildScript: string; binaries: readonly string[] }): () => string {
  let dir: string | undefined;
  return () => {
    if (dir) return dir;
    const fromEnv = process.env[options.env];
    const found = fromEnv && fromEnv.length > 0 ? fromEnv : execFileSync('bash', [options.buildScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1) ?? '';
    for (const name of options.binaries) {
      if (!existsSync(join(found, name))) throw new Error(`${name} missing in ${found} (from ${fromEnv ? options.env : options.buildScript})`);
    }
    dir = found;
    return found;
  };
}
