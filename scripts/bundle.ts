/**
 * `npm run build`: the shipped form of dockmaster, one esbuild bundle in dist/ with every
 * dependency inlined (issue 21). Why a bundle and not tsc output beside node_modules:
 * - start-up: Node resolves, reads and compiles one file per module; @kubernetes/client-node alone
 *   is ~900 modules. Bundled and tree-shaken, `import { KubeConfig }` no longer drags in the
 *   generated API classes the operator never calls (measured in docs/benchmarks.md).
 * - memory: the operator idles ~50 MB smaller, and the image carries no node_modules at all.
 * Code splitting keeps each subcommand's code in chunks it loads on demand (`version` loads none
 * of the Kubernetes client). Chunks sit beside the entry in dist/, so `../package.json` from any
 * of them is the package's own (src/version.ts reads it). Source maps are written beside the
 * chunks but not loaded: `NODE_OPTIONS=--enable-source-maps` turns them on for a debug session.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

const repositoryRoot = fileURLToPath(new URL('../', import.meta.url));

/** The file bin/dockmaster.js imports, relative to the output folder. */
export const BUNDLE_ENTRY = 'dockmaster.mjs';

export interface BundleOptions {
  /** Where the bundle goes; dist/ of the repository unless a test or bench builds elsewhere. */
  outdir?: string;
}

/** esbuild's options for the shipped bundle (exported so a unit test can pin them). */
export function bundleBuildOptions(outdir: string): BuildOptions {
  return {
    absWorkingDir: repositoryRoot,
    entryPoints: { dockmaster: 'src/cli/entry.ts' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    // The oldest runtime package.json's engines admits; Node 24 runs the same output.
    target: 'node20',
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    // Whitespace and syntax only: identifiers keep their names, so stack traces in the logs read
    // `RegistryReconciler.reconcile`, not `jE.reconcile` (esbuild's keepNames fixes `.name`, not
    // the frames V8 prints).
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
    // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
    banner: { js: "import { createRequire as __dockmasterRequire } from 'node:module'; const require = __dockmasterRequire(import.meta.url);" },
  };
}

/** Builds the bundle; returns the entry file's path and the total size of what it wrote. */
export async function buildBundle(options: BundleOptions = {}): Promise<{ entry: string; bytes: number; files: number }> {
  const esbuild = await import('esbuild');
  const outdir = path.resolve(repositoryRoot, options.outdir ?? 'dist');
  await rm(outdir, { recursive: true, force: true });
  const result = await esbuild.build(bundleBuildOptions(outdir));
  const outputs = Object.entries(result.metafile?.outputs ?? {}).filter(([file]) => !file.endsWith('.map'));
  return { entry: path.join(outdir, BUNDLE_ENTRY), bytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0), files: outputs.length };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { entry, bytes, files } = await buildBundle();
  process.stdout.write(`${path.relative(repositoryRoot, entry)}: ${files} files, ${(bytes / 1048576).toFixed(1)} MiB\n`);
}
