/**
 * `npm run crds`: regenerates crds/, the chart's CRD templates and values.schema.json, and
 * docs/crd-reference.md from the zod schemas.
 * `--check` writes nothing and exits 1 when a committed file is stale.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from '../src/api/crd-files.js';
import { chartValuesSchema } from '../src/config/chart-values-schema.js';

const repositoryRoot = fileURLToPath(new URL('../', import.meta.url));

/** Every generated file, path → content (a unit test compares them with what is committed). */
export function generatedFiles(): Array<{ path: string; content: string }> {
  return [...renderCrdFiles(), { path: 'charts/dockmaster/values.schema.json', content: JSON.stringify(chartValuesSchema(), null, 2) + '\n' }];
}

function main(argv: readonly string[]): number {
  const check = argv.includes('--check');
  let stale = 0;
  for (const file of generatedFiles()) {
    const target = path.join(repositoryRoot, file.path);
    const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
    if (current === file.content) continue;
    if (check) {
      process.stderr.write(`${file.path} is stale: run npm run crds\n`);
      stale += 1;
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.content);
    process.stdout.write(`Wrote ${file.path}\n`);
  }
  return stale > 0 ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
