import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../scripts/bundle.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('the shipped bundle', () => {
  it('leaves out client-node\'s generated classes and node-fetch\'s URL stack, and still runs', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dm-bundle-'));
    dirs.push(dir);
    // The chunks read `../package.json` for the version, as dist/ does in the package.
    await copyFile('package.json', path.join(dir, 'package.json'));
    const outdir = path.join(dir, 'dist');
    const { entry, inputs } = await buildBundle({ outdir });
    // What scripts/bundle-shims/ replace: evaluated at start, they cost a server ≈ 30 MB.
    expect(inputs.filter((input) => /@kubernetes\/client-node\/dist\/gen\/|node_modules\/(tr46|whatwg-url|node-fetch)\//.test(input))).toEqual([]);
    expect(inputs).toContain('node_modules/@kubernetes/client-node/dist/config.js');
    expect(inputs).toContain('scripts/bundle-shims/client-node-gen.ts');
    const { stdout } = await run(process.execPath, [entry, 'version']);
    expect(stdout).toMatch(/^dockmaster \d+\.\d+\.\d+/);
  }, 60_000);
});
