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
import type { BuildOptions, Plugin } from 'esbuild';
import { ISSUER_SCRIPT_FILE } from '../src/admission/certs/certificate-issuer.js';

const repositoryRoot = fileURLToPath(new URL('../', import.meta.url));

/** The file bin/dockmaster.js imports, relative to the output folder. */
export const BUNDLE_ENTRY = 'dockmaster.mjs';

export interface BundleOptions {
  /** Where the bundle goes; dist/ of the repository unless a test or bench builds elsewhere. */
  outdir?: string;
}

/**
 * client-node's config.js (KubeConfig) imports the generated API index and node-fetch, which
 * evaluate every model class and a Unicode table at start: about 30 MB of a server's memory for
 * code dockmaster does not run (src/runtime/kube-transport.ts makes the requests). Only those two
 * imports, and only from config.js, resolve to the small stand-ins in scripts/bundle-shims/.
 */
export const CLIENT_NODE_CONFIG_IMPORTS: Record<string, string> = {
  './gen/index.js': 'scripts/bundle-shims/client-node-gen.ts',
  'node-fetch': 'scripts/bundle-shims/node-fetch-headers.ts',
};

/** Where ES module imports of `node:http` go: scripts/bundle-shims/node-http.ts says why. */
export const NODE_HTTP_SHIM = 'scripts/bundle-shims/node-http.ts';

const leanImports: Plugin = {
  name: 'lean-imports',
  setup(build) {
    build.onResolve({ filter: /^(\.\/gen\/index\.js|node-fetch)$/ }, (args) => {
      if (!/[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/.test(args.importer)) return undefined;
      const shim = CLIENT_NODE_CONFIG_IMPORTS[args.path];
      return shim ? { path: path.join(repositoryRoot, shim) } : undefined;
    });
    // require('http') stays as it is: only the ES module face reads every export.
    build.onResolve({ filter: /^(node:)?http$/ }, (args) => {
      if (args.kind !== 'import-statement' || args.importer.endsWith(NODE_HTTP_SHIM)) return undefined;
      return { path: path.join(repositoryRoot, NODE_HTTP_SHIM) };
    });
  },
};

/** esbuild's options for the shipped bundle (exported so a unit test can pin them). */
export function bundleBuildOptions(outdir: string): BuildOptions {
  return {
    absWorkingDir: repositoryRoot,
    // The second entry is the short-lived certificate issuer (src/admission/certs/certificate-issuer.ts).
    entryPoints: { dockmaster: 'src/cli/entry.ts', [path.basename(ISSUER_SCRIPT_FILE, '.mjs')]: 'src/admission/certs/issue-certificate-process.ts' },
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
    plugins: [leanImports],
    // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
    banner: { js: "import { createRequire as __dockmasterRequire } from 'node:module'; const require = __dockmasterRequire(import.meta.url);" },
  };
}

/** Builds the bundle; returns the entry file's path, the total size of what it wrote and the source files in it. */
export async function buildBundle(options: BundleOptions = {}): Promise<{ entry: string; bytes: number; files: number; inputs: string[] }> {
  const esbuild = await import('esbuild');
  const outdir = path.resolve(repositoryRoot, options.outdir ?? 'dist');
  await rm(outdir, { recursive: true, force: true });
  const result = await esbuild.build(bundleBuildOptions(outdir));
  const outputs = Object.entries(result.metafile?.outputs ?? {}).filter(([file]) => !file.endsWith('.map'));
  return {
    entry: path.join(outdir, BUNDLE_ENTRY),
    bytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
    files: outputs.length,
    // Files esbuild read but shook out entirely (bytesInOutput 0) are not in the bundle.
    inputs: [...new Set(outputs.flatMap(([, output]) => Object.entries(output.inputs).filter(([, use]) => use.bytesInOutput > 0).map(([input]) => input)))],
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { entry, bytes, files } = await buildBundle();
  process.stdout.write(`${path.relative(repositoryRoot, entry)}: ${files} files, ${(bytes / 1048576).toFixed(1)} MiB\n`);
}
