/**
 * Where the Go-built test tools live: helm and promql-check. From `$DOCKMASTER_TOOLS_BIN`, else
 * from build-tools.sh (a few minutes the first time).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedBinDir } from '../cached-bin-dir.js';

export const TOOLS_BIN_ENV = 'DOCKMASTER_TOOLS_BIN';

export const toolsBinDir = cachedBinDir({
  env: TOOLS_BIN_ENV,
  buildScript: fileURLToPath(new URL('./build-tools.sh', import.meta.url)),
  binaries: ['helm', 'promql-check'],
});

export const helmBinary = (): string => join(toolsBinDir(), 'helm');
export const promqlCheckBinary = (): string => join(toolsBinDir(), 'promql-check');
