/**
 * Children that die with the test process however it dies. Exit hooks do not run when this
 * process is SIGKILLed (a vitest worker killed on timeout, an OOM kill); on Linux, util-linux's
 * setpriv sets PR_SET_PDEATHSIG before exec'ing the binary, so the kernel kills the child when
 * its parent dies. The pid stays the binary's.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';

export function spawnDyingWithParent(binary: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const spawnOptions: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'], ...options };
  if (process.platform === 'linux' && existsSync(SETPRIV)) {
    return spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', binary, ...args], spawnOptions);
  }
  return spawn(binary, [...args], spawnOptions);
}

/**
 * True while `pid` runs. A zombie (dead, not yet reaped by its parent) counts as dead: a
 * SIGKILLed child of this very process stays a zombie until libuv reaps it, and kill(pid, 0)
 * still succeeds on it.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; comm may hold spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // No /proc (not Linux), or it ended between the two calls.
    return process.platform !== 'linux';
  }
}
