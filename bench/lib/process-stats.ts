import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * Resource figures of another process, read from Linux's /proc: the kernel's own peak RSS
 * (VmHWM, "high water mark") is exact where sampling would miss short spikes.
 */

export interface ProcessMemory {
  rssMb: number;
  /** Peak resident set size since the process started. */
  peakRssMb: number;
  /** The process's own memory (RssAnon): RSS less the pages mapped from files (the node binary). */
  anonMb: number;
}

const kbField = (status: string, field: string): number => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match?.[1]) throw new Error(`/proc status has no ${field}`);
  return Number(match[1]) / 1024;
};

export async function readProcessMemory(pid: number): Promise<ProcessMemory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return { rssMb: kbField(status, 'VmRSS'), peakRssMb: kbField(status, 'VmHWM'), anonMb: kbField(status, 'RssAnon') };
}

/** Open file descriptors (sockets, files, pipes, timerfds…), by kind. */
export async function readOpenFds(pid: number): Promise<{ total: number; sockets: number }> {
  const dir = `/proc/${pid}/fd`;
  const fds = await readdir(dir);
  let sockets = 0;
  await Promise.all(
    fds.map(async (fd) => {
      try {
        if ((await readlink(`${dir}/${fd}`)).startsWith('socket:')) sockets++;
      } catch {
        // The descriptor closed between readdir and readlink.
      }
    }),
  );
  return { total: fds.length, sockets };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
