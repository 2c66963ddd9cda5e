/**
 * The garbage-collect Job's shell script (src/managed-registry/gc-job-script.ts) run by /bin/sh
 * with a `registry` on PATH, as in the registry image: the real binaries of both lines answer
 * `--version`, and a stand-in records the garbage-collect arguments. --delete-untagged reaches
 * garbage-collect only when the binary says it is distribution 3 or later.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GC_SCRIPT, GC_SCRIPT_NAME } from '../../../src/managed-registry/gc-job-script.js';
import { parseGarbageCollectOutput } from '../../../src/managed-registry/gc-job-output.js';
import { registryBinary } from '../../servers/binaries.js';

const run = promisify(execFile);

describe('the GC Job script asks the registry binary before passing --delete-untagged', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dockmaster-gc-script-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  /** A `registry` that answers --version like `real` does and records garbage-collect's arguments. */
  async function fakeRegistry(name: string, versionLine: string): Promise<string> {
    const bin = path.join(dir, name);
    await run('mkdir', ['-p', bin]);
    const script = `#!/bin/sh\nif [ "$1" = "--version" ]; then echo '${versionLine}'; exit 0; fi\necho "args: $*"\necho "0 blobs marked, 0 blobs and 0 manifests eligible for deletion"\n`;
    await writeFile(path.join(bin, 'registry'), script);
    await chmod(path.join(bin, 'registry'), 0o755);
    return bin;
  }

  async function versionOf(line: '2.8.2' | '3.1.2'): Promise<string> {
    const { stdout } = await run(registryBinary(line), ['--version']);
    return stdout.trim();
  }

  async function runScript(bin: string, ...flags: string[]): Promise<string> {
    const { stdout } = await run('/bin/sh', ['-c', GC_SCRIPT, GC_SCRIPT_NAME, '/etc/config.yml', '', ...flags], { env: { PATH: `${bin}:/usr/bin:/bin` } });
    return stdout;
  }

  it.each([
    ['2.8.2', false],
    ['3.1.2', true],
  ] as const)('registry %s: --delete-untagged passed on: %s', async (line, passed) => {
    const version = await versionOf(line);
    const out = await runScript(await fakeRegistry(`v${line}`, version), '--delete-untagged');
    expect(out).toContain(passed ? 'args: garbage-collect /etc/config.yml --delete-untagged' : 'args: garbage-collect /etc/config.yml');
    expect(out.includes('--delete-untagged\n')).toBe(passed);
    expect(parseGarbageCollectOutput(out).deleteUntaggedRefused).toBe(passed ? undefined : version);
  });

  it('a binary whose version cannot be read gets no --delete-untagged', async () => {
    const out = await runScript(await fakeRegistry('unknown', 'registry (devel)'), '--delete-untagged');
    expect(out).toContain('args: garbage-collect /etc/config.yml\n');
    expect(parseGarbageCollectOutput(out).deleteUntaggedRefused).toBe('registry (devel)');
  });

  it('without the flag, asks nothing and passes nothing', async () => {
    const out = await runScript(await fakeRegistry('plain', 'registry github.com/docker/distribution 2.8.2+ds1'));
    expect(out).toContain('args: garbage-collect /etc/config.yml\n');
    expect(parseGarbageCollectOutput(out).deleteUntaggedRefused).toBeUndefined();
  });
});
