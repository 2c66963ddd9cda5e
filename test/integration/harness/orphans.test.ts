import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { startRegistry } from '../../harness/registry.js';

/** A test process that ends without stop() (exit, SIGTERM, even SIGKILL) leaves no registry running. */

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'abandoned-registry.ts');

async function answers(url: string): Promise<boolean> {
  return fetch(`${url}/v2/`).then(
    async (res) => {
      await res.arrayBuffer();
      return true;
    },
    () => false,
  );
}

async function gone(url: string): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (!(await answers(url))) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe('no orphan registries', () => {
  it.each(['exit', 'SIGTERM', 'SIGKILL'] as const)('a registry started by a process that ends by %s is killed with it', async (how) => {
    // Node with tsx's loader directly (not the tsx CLI, which would relay the signal to a grandchild).
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, how === 'exit' ? 'exit' : 'signal'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
        const line = output.split('\n').find((l) => l.startsWith('http'));
        if (line) resolve(line.trim());
      });
      child.once('exit', () => reject(new Error(`child exited before printing a URL: ${output}`)));
    });
    expect(await answers(url)).toBe(true);
    if (how === 'exit') child.stdin.end('exit now\n');
    else child.kill(how);
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    expect(await gone(url)).toBe(true);
  });

  it('the temp folder of a SIGKILLed owner is swept by the next startRegistry', async () => {
    const abandoned = await mkdtemp(path.join(tmpdir(), 'dockmaster-registry-'));
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    await writeFile(path.join(abandoned, 'owner.pid'), String(deadPid));
    const registry = await startRegistry();
    try {
      expect(existsSync(abandoned)).toBe(false);
    } finally {
      await registry.stop();
    }
  });
});
