import { createHash } from 'node:crypto';

/** Content of one Secret the pods mount or read, as it feeds the config hash. */
export interface MountedSecretContent {
  name: string;
  data: Record<string, string> | undefined;
}

/**
 * sha256 over the config text and the contents of the Secrets the pods use. It goes into a
 * pod-template annotation, so a new htpasswd entry or certificate rolls the pods the way an
 * edited config does (distribution reads these files only at start). Contents, not
 * resourceVersions: a label edit on a Secret must not restart a registry.
 */
export function computeConfigHash(configText: string, secrets: readonly MountedSecretContent[]): string {
  const hash = createHash('sha256');
  hash.update('config\0').update(configText).update('\0');
  const ordered = [...secrets].sort((a, b) => a.name.localeCompare(b.name));
  for (const secret of ordered) {
    hash.update(`secret\0${secret.name}\0`);
    for (const key of Object.keys(secret.data ?? {}).sort()) {
      hash.update(`${key}\0${secret.data?.[key] ?? ''}\0`);
    }
  }
  return hash.digest('hex');
}
