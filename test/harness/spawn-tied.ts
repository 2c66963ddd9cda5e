/**
 * Children that die with the test process however it dies. Exit hooks do not run when this
 * process is SIGKILLed (a vitest worker killed on timeout, an OOM kill); on Linux, util-linux's
 * setpriv sets PR_SET_PDEATHSIG before exec'ing the binary, so the kernel kills the child when
 * its parent dies. The pid stays the binary's.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';

export function spawnDyingWithParent(binary: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const spawnOptions: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'], ...options };
  if (process.platform === 'linux' && existsSync(SETPRIV)) {
    return spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', binary, ...args], spawnOptions);
  }
  return spawn(binary, [...args], spawnOptions);
}
