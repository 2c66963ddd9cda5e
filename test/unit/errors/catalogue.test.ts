import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DockmasterError, ERROR_CATALOGUE, EXIT_BAD_INPUT, EXIT_FAILURE, InputValidationError } from '../../../src/errors.js';

const srcDir = resolve(import.meta.dirname, '../../../src');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []))));
  return nested.flat();
}

describe('the error catalogue', () => {
  it('gives every entry an exit code, an HTTP status, a CamelCase reason and a message form', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(code).toMatch(/^DM_ERR_[A-Z_]+$/);
      expect([EXIT_FAILURE, EXIT_BAD_INPUT]).toContain(entry.exitCode);
      expect(entry.httpStatus >= 400 && entry.httpStatus < 600, code).toBe(true);
      expect(entry.reason).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(entry.message.length).toBeGreaterThan(0);
    }
  });

  it('holds every DM_ERR_ code written anywhere under src/, and no unused entry', async () => {
    const used = new Set<string>();
    for (const file of await sourceFiles(srcDir)) {
      if (file === join(srcDir, 'errors.ts')) continue; // the catalogue itself
      for (const match of (await readFile(file, 'utf8')).matchAll(/'(DM_ERR_[A-Z_]+)'/g)) used.add(match[1]!);
    }
    used.add('DM_ERR_INVALID_INPUT'); // raised by InputValidationError in errors.ts itself
    expect([...used].filter((code) => !(code in ERROR_CATALOGUE))).toEqual([]);
    expect(Object.keys(ERROR_CATALOGUE).filter((code) => !used.has(code)).sort()).toEqual([]);
  });

  it('maps an error to its exit code, HTTP status and reason', () => {
    const bad = new InputValidationError('flag --x', [{ path: 'x', message: 'no' }]);
    expect([bad.code, bad.exitCode, bad.httpStatus, bad.conditionReason]).toEqual(['DM_ERR_INVALID_INPUT', 2, 400, 'SpecInvalid']);
    const rejected = new DockmasterError('DM_ERR_CHILD_REJECTED', 'refused');
    expect([rejected.exitCode, rejected.httpStatus, rejected.conditionReason]).toEqual([1, 500, 'ApplyFailed']);
  });
});
