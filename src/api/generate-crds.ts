/**
 * `npm run crds`: regenerates crds/ and docs/crd-reference.md from the zod schemas.
 * `--check` writes nothing and exits 1 when a committed file is stale.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from './crd-files.js';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

function main(argv: readonly string[]): number {
  const check = argv.includes('--check');
  let stale = 0;
  for (const file of renderCrdFiles()) {
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

process.exitCode = main(process.argv.slice(2));
