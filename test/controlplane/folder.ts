import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessRunning } from '../harness/spawn-tied.js';

/**
 * The temp folder of one control plane (certificates, etcd data, kubeconfigs, logs). It records
 * its owner's pid so a later start can delete folders whose owner died without stop() (SIGKILL:
 * the kernel kills the children, but nobody deletes the folder).
 */

const FOLDER_PREFIX = 'dockmaster-controlplane-';
const OWNER_FILE = 'owner.pid';

export async function createControlPlaneFolder(): Promise<string> {
  await removeAbandonedFolders();
  const dir = await mkdtemp(join(tmpdir(), FOLDER_PREFIX));
  await writeFile(join(dir, OWNER_FILE), String(process.pid));
  return dir;
}

/** Deletes the folder, or keeps it (for a post-mortem) without an owner so no sweep takes it. */
export async function releaseControlPlaneFolder(dir: string, keep: boolean): Promise<void> {
  if (keep) await rm(join(dir, OWNER_FILE), { force: true });
  else await rm(dir, { recursive: true, force: true });
}

/** Only folders whose owner file names a dead process: one without it may be starting right now. */
async function removeAbandonedFolders(): Promise<void> {
  const entries = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const entry of entries.filter((name) => name.startsWith(FOLDER_PREFIX))) {
    const folder = join(tmpdir(), entry);
    const owner = Number(await readFile(join(folder, OWNER_FILE), 'utf8').catch(() => ''));
    if (Number.isInteger(owner) && owner > 0 && !isProcessRunning(owner)) await rm(folder, { recursive: true, force: true });
  }
}
