/**
 * The layers of src/ hold (dependency-cruiser, rules in .dependency-cruiser.cjs), and no block
 * of 10 or more lines is repeated under src/ (jscpd). Both tools run as users run them, on the
 * real tree; a fixture tree with one violation of each kind proves the rules fire.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const bin = (name: string): string => join(root, 'node_modules/.bin', name);

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: Array<{ name: string }>;
}

async function cruise(cwd: string): Promise<Violation[]> {
  const config = join(root, '.dependency-cruiser.cjs');
  const { stdout } = await run(bin('depcruise'), ['src', '-c', config, '-T', 'json'], { cwd, maxBuffer: 64 * 1024 * 1024 });
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const describeViolation = (v: Violation): string =>
  `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`;

describe('import rules', () => {
  it('src/ has no circle, no library importing controllers/ or cli/, no import between controllers', async () => {
    const violations = await cruise(root);
    expect(violations.map(describeViolation)).toEqual([]);
  }, 60_000);

  it('the rules fire on a tree that breaks them', async () => {
    const violations = await cruise(join(import.meta.dirname, 'fixtures/bad-layers'));
    const rules = new Set(violations.map((v) => v.rule.name));
    expect([...rules].sort()).toEqual(['api-is-the-bottom', 'libraries-never-import-controllers-or-cli', 'no-circular', 'no-import-between-controllers']);
    expect(violations.find((v) => v.rule.name === 'no-import-between-controllers')).toMatchObject({
      from: 'src/controllers/alpha/reconcile.ts',
      to: 'src/controllers/beta/reconcile.ts',
    });
  }, 60_000);
});

describe('copy-paste', () => {
  it('no block of 10 or more lines is repeated under src/', async () => {
    const out = await mkdtemp(join(tmpdir(), 'dockmaster-jscpd-'));
    try {
      await run(bin('jscpd'), ['src', '--min-lines', '10', '--min-tokens', '20', '--format', 'typescript', '--reporters', 'json', '--output', out, '--silent'], {
        cwd: root,
        maxBuffer: 16 * 1024 * 1024,
      });
      const report = JSON.parse(await readFile(join(out, 'jscpd-report.json'), 'utf8')) as {
        duplicates: Array<{ lines: number; firstFile: { name: string; start: number }; secondFile: { name: string; start: number } }>;
      };
      const clones = report.duplicates.map((d) => `${d.lines} lines: ${d.firstFile.name}:${d.firstFile.start} = ${d.secondFile.name}:${d.secondFile.start}`);
      expect(clones).toEqual([]);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);
});
