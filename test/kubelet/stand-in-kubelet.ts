import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AppsV1Api, BatchV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Deployment, type V1Job,
} from '@kubernetes/client-node';
import { deploymentStatusFor, sameDeploymentStatus } from './deployment-status.js';
import { StandInJobRunner, type JobResult } from './job-runner.js';
import { PodStartError } from './pod-volumes.js';
import { prepareContainer, probeOnce, spawnRegistry, type PreparedContainer } from './registry-process.js';
import { bindPendingClaims } from './volume-binder.js';

/** Test-only annotation: where the stand-in's process for this Deployment listens. */
export const LOCAL_URL_ANNOTATION = 'test.dockmaster.dev/local-url';
/** Every ready replica's loopback URL, comma-separated (several replicas: each must be checked). */
export const LOCAL_URLS_ANNOTATION = 'test.dockmaster.dev/local-urls';
export const MANAGED_SELECTOR = 'app.kubernetes.io/managed-by=dockmaster';

interface LocalPod {
  templateHash: string;
  /** PersistentVolumeClaims the pod mounts, for the pvc-protection stand-in. */
  claims: string[];
  prepared: PreparedContainer;
  child: ChildProcess;
  exited: boolean;
  ready: boolean;
  logFile: string;
}

interface DeploymentPods {
  pods: LocalPod[];
  /** Last reason a pod could not start (missing Secret, bad config path…), for test messages. */
  lastError?: string;
  retryAt: number;
}

export interface StandInKubeletOptions {
  kubeConfig: KubeConfig;
  /** Act only in this namespace, so tests sharing one apiserver each have their own "node". */
  namespace?: string;
  pollIntervalMs?: number;
  /** Called once per loop with the clients, for anything else a test needs a node to do. */
  extraSync?: (clients: { core: CoreV1Api; apps: AppsV1Api; workDir: string; pvcRoot: string }) => Promise<void>;
  now?: () => Date;
  /** Test-only: Jobs for which this returns true are not started (yet); they look running. */
  holdJob?: (job: V1Job) => boolean;
}

export interface StandInKubelet {
  workDir: string;
  /** Directory standing in for a PersistentVolumeClaim's volume (same claim → same directory). */
  pvcDir(namespace: string, claimName: string): string;
  /** Why the pods of a Deployment last failed to start, if they did. */
  lastError(namespace: string, deployment: string): string | undefined;
  /** Exit code and output of a Job labelled managed-by=dockmaster, once it finished. */
  jobResult(namespace: string, job: string): JobResult | undefined;
  /** Log files of the running processes of a Deployment. */
  logFiles(namespace: string, deployment: string): string[];
  stop(): Promise<void>;
}

function templateHashOf(dep: V1Deployment): string {
  return createHash('sha256').update(JSON.stringify(dep.spec?.template ?? {})).digest('hex').slice(0, 16);
}

async function stopPod(pod: LocalPod): Promise<void> {
  if (pod.exited) return;
  await new Promise<void>((resolve) => {
    pod.child.once('exit', () => resolve());
    pod.child.kill('SIGTERM');
    setTimeout(() => pod.child.kill('SIGKILL'), 5000).unref();
  });
}

/**
 * A kubelet and Deployment controller in one small loop, for tests on a control plane with no
 * nodes: every Deployment labelled managed-by=dockmaster gets `replicas` local docker-registry
 * processes run from its pod template (the operator's own ConfigMap, Secrets and env), and its
 * status reports them as the real controllers would. A changed pod template replaces the pods.
 * Jobs with the same label run once each (garbage collection), see StandInJobRunner.
 */
export async function startStandInKubelet(options: StandInKubeletOptions): Promise<StandInKubelet> {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const apps = options.kubeConfig.makeApiClient(AppsV1Api);
  const workDir = await mkdtemp(path.join(tmpdir(), 'stand-in-kubelet-'));
  const pvcRoot = path.join(workDir, 'pvcs');
  const now = options.now ?? (() => new Date());
  const state = new Map<string, DeploymentPods>();
  let stopped = false;
  let podSeq = 0;
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const jobs = new StandInJobRunner(options.kubeConfig.makeApiClient(BatchV1Api), core, options.holdJob);

  async function startPod(dep: V1Deployment, namespace: string, hash: string): Promise<LocalPod> {
    const podDir = path.join(workDir, 'pods', namespace, dep.metadata?.name ?? '', String(podSeq++));
    const prepared = await prepareContainer(core, namespace, dep.spec?.template ?? {}, { podDir, pvcRoot });
    const logFile = path.join(podDir, 'registry.log');
    const child = spawnRegistry(prepared, logFile);
    const claims = (dep.spec?.template.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []));
    const pod: LocalPod = { templateHash: hash, claims, prepared, child, exited: false, ready: false, logFile };
    child.once('exit', () => { pod.exited = true; pod.ready = false; });
    return pod;
  }

  async function syncDeployment(dep: V1Deployment): Promise<void> {
    const namespace = dep.metadata?.namespace ?? 'default';
    const key = `${namespace}/${dep.metadata?.name}`;
    const entry = state.get(key) ?? { pods: [], retryAt: 0 };
    state.set(key, entry);
    const hash = templateHashOf(dep);
    const desired = dep.spec?.replicas ?? 1;
    // Old-template pods and extra pods go first (the Recreate order; good enough for Rolling).
    const keep: LocalPod[] = [];
    for (const pod of entry.pods) {
      if (pod.exited || pod.templateHash !== hash || keep.length >= desired) await stopPod(pod);
      else keep.push(pod);
    }
    entry.pods = keep;
    while (entry.pods.length < desired && Date.now() >= entry.retryAt) {
      try {
        entry.pods.push(await startPod(dep, namespace, hash));
        delete entry.lastError;
      } catch (error) {
        if (!(error instanceof PodStartError)) throw error;
        entry.lastError = error.message;
        entry.retryAt = Date.now() + 1000;
      }
    }
    for (const pod of entry.pods) pod.ready = !pod.exited && (await probeOnce(pod.prepared));

    const status = deploymentStatusFor(dep, {
      total: entry.pods.length,
      updated: entry.pods.filter((p) => p.templateHash === hash).length,
      ready: entry.pods.filter((p) => p.ready).length,
    }, now());
    const name = dep.metadata?.name ?? '';
    if (!sameDeploymentStatus(dep.status, status)) {
      await apps.patchNamespacedDeploymentStatus({ name, namespace, body: { status } }, mergePatch);
    }
    const urls = entry.pods.filter((p) => p.ready).map((p) => `${p.prepared.tls ? 'https' : 'http'}://127.0.0.1:${p.prepared.port}`);
    const url = urls[0] ?? null;
    const all = urls.length > 0 ? urls.join(',') : null;
    const annotations = dep.metadata?.annotations ?? {};
    if ((annotations[LOCAL_URL_ANNOTATION] ?? null) !== url || (annotations[LOCAL_URLS_ANNOTATION] ?? null) !== all) {
      await apps.patchNamespacedDeployment({ name, namespace, body: { metadata: { annotations: { [LOCAL_URL_ANNOTATION]: url, [LOCAL_URLS_ANNOTATION]: all } } } }, mergePatch);
    }
  }

  function claimInUse(namespace: string, claimName: string): boolean {
    for (const [key, entry] of state) {
      if (!key.startsWith(`${namespace}/`)) continue;
      if (entry.pods.some((p) => !p.exited && p.claims.includes(claimName))) return true;
    }
    return false;
  }

  async function syncOnce(): Promise<void> {
    const scope = options.namespace;
    const list = scope
      ? await apps.listNamespacedDeployment({ namespace: scope, labelSelector: MANAGED_SELECTOR })
      : await apps.listDeploymentForAllNamespaces({ labelSelector: MANAGED_SELECTOR });
    const seen = new Set<string>();
    for (const dep of list.items) {
      seen.add(`${dep.metadata?.namespace}/${dep.metadata?.name}`);
      await syncDeployment(dep);
    }
    for (const [key, entry] of state) {
      if (seen.has(key)) continue;
      await Promise.all(entry.pods.map(stopPod));
      state.delete(key);
    }
    await bindPendingClaims(core, MANAGED_SELECTOR, claimInUse, scope);
    await jobs.sync({ workDir, pvcRoot }, MANAGED_SELECTOR, scope);
    await options.extraSync?.({ core, apps, workDir, pvcRoot });
  }

  const loop = (async () => {
    while (!stopped) {
      // The apiserver may be restarting or a write may conflict: the next pass retries.
      await syncOnce().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? 300));
    }
  })();

  return {
    workDir,
    pvcDir: (namespace, claimName) => path.join(pvcRoot, namespace, claimName),
    jobResult: (namespace, job) => jobs.result(namespace, job),
    lastError: (namespace, deployment) => state.get(`${namespace}/${deployment}`)?.lastError,
    logFiles: (namespace, deployment) => (state.get(`${namespace}/${deployment}`)?.pods ?? []).map((p) => p.logFile),
    async stop() {
      stopped = true;
      await loop;
      await jobs.drain();
      for (const entry of state.values()) await Promise.all(entry.pods.map(stopPod));
      state.clear();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
