import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CoreV1Api, V1EnvVar, V1PodSpec, V1Volume } from '@kubernetes/client-node';

/** Where each mount path of a container lives on this machine. */
export interface MaterialisedVolumes {
  /** mountPath in the container → local directory. */
  mounts: Map<string, string>;
}

/** Why a pod cannot start; the stand-in reports it instead of starting the process. */
export class PodStartError extends Error {}

async function writeKeys(dir: string, data: Record<string, Buffer>, items: Array<{ key: string; path: string }> | undefined): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const entries = items ?? Object.keys(data).map((key) => ({ key, path: key }));
  for (const item of entries) {
    const value = data[item.key];
    if (value === undefined) throw new PodStartError(`key ${item.key} not found in the volume source`);
    const file = path.join(dir, item.path);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, value, { mode: 0o600 });
  }
}

async function readSecretData(core: CoreV1Api, namespace: string, name: string): Promise<Record<string, Buffer>> {
  try {
    const secret = await core.readNamespacedSecret({ name, namespace });
    return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  } catch (error) {
    throw new PodStartError(`secret "${name}" not found: ${(error as Error).message.split('\n')[0]}`);
  }
}

async function readConfigMapData(core: CoreV1Api, namespace: string, name: string): Promise<Record<string, Buffer>> {
  try {
    const cm = await core.readNamespacedConfigMap({ name, namespace });
    return Object.fromEntries(Object.entries(cm.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'utf8')]));
  } catch (error) {
    throw new PodStartError(`configmap "${name}" not found: ${(error as Error).message.split('\n')[0]}`);
  }
}

/**
 * Lays out a pod's volumes the way the kubelet would: ConfigMaps and Secrets as files (fresh
 * on every start, from the objects in the apiserver), a PVC as a directory that outlives pods
 * (same claim → same directory, so images survive restarts), an emptyDir per pod.
 */
export async function materialiseVolumes(
  core: CoreV1Api,
  namespace: string,
  podSpec: V1PodSpec,
  dirs: { podDir: string; pvcRoot: string },
): Promise<MaterialisedVolumes> {
  const byName = new Map<string, V1Volume>((podSpec.volumes ?? []).map((v) => [v.name, v]));
  const local = new Map<string, string>();
  for (const volume of byName.values()) {
    const dir = path.join(dirs.podDir, 'volumes', volume.name);
    if (volume.configMap?.name) {
      await writeKeys(dir, await readConfigMapData(core, namespace, volume.configMap.name), volume.configMap.items);
    } else if (volume.secret?.secretName) {
      await writeKeys(dir, await readSecretData(core, namespace, volume.secret.secretName), volume.secret.items);
    } else if (volume.persistentVolumeClaim) {
      const claimDir = path.join(dirs.pvcRoot, namespace, volume.persistentVolumeClaim.claimName);
      await mkdir(claimDir, { recursive: true });
      local.set(volume.name, claimDir);
      continue;
    } else if (volume.emptyDir) {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
    } else {
      throw new PodStartError(`volume ${volume.name}: only configMap, secret, persistentVolumeClaim and emptyDir are supported`);
    }
    local.set(volume.name, dir);
  }
  const container = podSpec.containers[0];
  const mounts = new Map<string, string>();
  for (const mount of container?.volumeMounts ?? []) {
    const dir = local.get(mount.name);
    if (!dir) throw new PodStartError(`volumeMount ${mount.name} names no volume`);
    mounts.set(mount.mountPath, dir);
  }
  return { mounts };
}

/**
 * Maps an absolute path in the container to this machine, or undefined when no volume holds it
 * (in the real pod that path would be on the read-only root filesystem).
 */
export function localPathFor(volumes: MaterialisedVolumes, containerPath: string): string | undefined {
  let best: [string, string] | undefined;
  for (const [mountPath, dir] of volumes.mounts) {
    const prefix = mountPath.endsWith('/') ? mountPath : `${mountPath}/`;
    if ((containerPath === mountPath || containerPath.startsWith(prefix)) && (!best || mountPath.length > best[0].length)) {
      best = [mountPath, dir];
    }
  }
  if (!best) return undefined;
  return path.join(best[1], path.relative(best[0], containerPath));
}

/** The container's env, resolved as the kubelet does (missing Secret → the pod does not start). */
export async function resolveEnv(core: CoreV1Api, namespace: string, env: V1EnvVar[] | undefined): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const variable of env ?? []) {
    if (variable.value !== undefined) {
      out[variable.name] = variable.value;
    } else if (variable.valueFrom?.secretKeyRef) {
      const ref = variable.valueFrom.secretKeyRef;
      const value = (await readSecretData(core, namespace, ref.name ?? ''))[ref.key];
      if (value === undefined) throw new PodStartError(`env ${variable.name}: key ${ref.key} not in secret ${ref.name}`);
      out[variable.name] = value.toString('utf8');
    } else if (variable.valueFrom?.configMapKeyRef) {
      const ref = variable.valueFrom.configMapKeyRef;
      const value = (await readConfigMapData(core, namespace, ref.name ?? ''))[ref.key];
      if (value === undefined) throw new PodStartError(`env ${variable.name}: key ${ref.key} not in configmap ${ref.name}`);
      out[variable.name] = value.toString('utf8');
    }
  }
  return out;
}
