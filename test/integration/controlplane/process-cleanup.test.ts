import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createControlPlaneFolder, releaseControlPlaneFolder } from '../../controlplane/folder.js';
import { kubectlOk } from '../../controlplane/kubectl.js';

/**
 * No control-plane process outlives the Node process that started it, even when that process is
 * SIGKILLed and runs no exit hook (a vitest worker killed on timeout, an OOM kill); its folder is
 * deleted by the next start.
 */

const cli = fileURLToPath(new URL('../../controlplane/cli.ts', import.meta.url));

/** Live children of `parent` running `command`, from a scan of /proc. */
function childPids(parent: number, command: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => readStat(pid)?.ppid === parent && commandOf(pid) === command);
}

function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** State and parent of a process, or undefined once it is gone; a zombie counts as gone. */
function readStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after the ')'.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return state === 'Z' ? undefined : { state: state ?? '?', ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

describe('control-plane process cleanup', () => {
  it('kills etcd and kube-apiserver when the parent is SIGKILLed', async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', cli, 'up'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const kubeconfigPath = await new Promise<string>((resolve, reject) => {
        let output = '';
        parent.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /export KUBECONFIG=(\S+)/.exec(output);
          if (match?.[1]) resolve(match[1]);
        });
        parent.once('exit', (code) => reject(new Error(`cli.ts up exited with ${String(code)} before printing KUBECONFIG`)));
      });
      expect(await kubectlOk(kubeconfigPath, ['get', 'ns', 'default', '-o', 'name'])).toBe('namespace/default\n');
      const children = [...childPids(parent.pid ?? -1, 'etcd'), ...childPids(parent.pid ?? -1, 'kube-apiserver')];
      expect(children).toHaveLength(2);

      parent.kill('SIGKILL');
      const deadline = Date.now() + 10_000;
      while (children.some((pid) => readStat(pid)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(children.filter((pid) => readStat(pid))).toEqual([]);

      // Its folder outlived it; the next control plane to start deletes it.
      const abandoned = dirname(kubeconfigPath);
      expect(existsSync(abandoned)).toBe(true);
      const next = await createControlPlaneFolder();
      expect(existsSync(abandoned)).toBe(false);
      await releaseControlPlaneFolder(next, false);
    } finally {
      // A failed assertion must not leave the CLI (and its control plane) running: SIGTERM stops it cleanly.
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGTERM');
    }
  });
});
