/**
 * Where the Go-built servers live: distribution 3.x (`registry`) and versitygw (S3). From
 * `$DOCKMASTER_SERVERS_BIN`, else from build-binaries.sh, which prints its cache folder at once
 * when the pinned versions are built and builds them otherwise (a few minutes the first time).
 * Debian's docker-registry (distribution 2.8.2) is at DEBIAN_REGISTRY_BINARY.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedBinDir } from '../cached-bin-dir.js';

export const SERVERS_BIN_ENV = 'DOCKMASTER_SERVERS_BIN';
export const DEBIAN_REGISTRY_BINARY = '/usr/bin/docker-registry';

/** The folder of the Go-built servers (built on first use when the cache lacks them). */
export const serversBinDir = cachedBinDir({
  env: SERVERS_BIN_ENV,
  buildScript: fileURLToPath(new URL('./build-binaries.sh', import.meta.url)),
  binaries: ['registry', 'versitygw'],
});

/** The registry versions the tests run for real. */
export type RegistryLine = '2.8.2' | '3.1.2';
export const REGISTRY_LINES: readonly RegistryLine[] = ['2.8.2', '3.1.2'];

export function registryBinary(line: RegistryLine): string {
  return line === '2.8.2' ? DEBIAN_REGISTRY_BINARY : join(serversBinDir(), 'registry');
}

/**
 * The registry an image names, as the stand-in kubelet runs it: a 3.x tag runs the 3.1.2 build,
 * anything else (2.x, or a tag or digest that names no version) Debian's 2.8.2.
 */
export function registryLineOfImage(image: string | undefined): RegistryLine {
  const tag = /:([^:/@]+)(?:@.*)?$/.exec(image ?? '')?.[1] ?? '';
  return /^v?3(\.|$)/.test(tag) ? '3.1.2' : '2.8.2';
}
