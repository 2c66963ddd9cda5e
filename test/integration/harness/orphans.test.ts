import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetch } from 'undici';
import { describe, expect, it } from 'vitest';

/** A test process that ends without stop() (exit, or killed by a signal) leaves no registry running. */

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
  it.each(['exit', 'signal'] as const)('a registry started by a process that ends by %s is killed with it', async (how) => {
    // Node with tsx's loader directly (not the tsx CLI, which would relay the signal to a grandchild).
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, how], { stdio: ['pipe', 'pipe', 'inherit'] });
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
    if (how === 'signal') child.kill('SIGTERM');
    else child.stdin.end('exit now\n');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    expect(await gone(url)).toBe(true);
  });
});
