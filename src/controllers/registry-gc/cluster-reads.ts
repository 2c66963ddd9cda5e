/**
 * What the window reads from the cluster beyond the informer caches: the registry pods (their
 * IPs to probe, their node to pin the Job to) and the garbage-collect Job's output. Both are
 * pluggable, because tests run registries as local processes with no Pod objects.
 */
import type { KubernetesObject, V1Deployment, V1Job, V1Pod, V1PodList } from '@kubernetes/client-node';
import type { Registry } from '../../api/registry.js';
import { GC_CONTAINER_NAME } from '../../managed-registry/gc-job.js';
import type { ReconcileContext } from '../../runtime/controller.js';
import { formatLabelSelector } from '../../runtime/label-selector.js';
import { collectionPath, objectPath, RESOURCES } from '../../runtime/resources.js';
import { CONFIG_HASH_ANNOTATION, REGISTRY_CONTAINER_PORT, registryChildNames, registrySelectorLabels } from '../../managed-registry/children.js';

export type RegistryObject = Registry & KubernetesObject;

/** Base URLs of every replica that could serve a write, or why they are not all known yet. */
export type ReplicaTargets = { urls: string[] } | { pending: string };

export type ReplicaResolver = (registry: RegistryObject, ctx: ReconcileContext) => Promise<ReplicaTargets>;

/** The output of a finished garbage-collect Job; undefined when it cannot be read (logs gone). */
export type JobOutputReader = (job: V1Job, ctx: ReconcileContext) => Promise<string | undefined>;

async function listRegistryPods(registry: RegistryObject, ctx: ReconcileContext): Promise<V1Pod[]> {
  const namespace = registry.metadata?.namespace ?? '';
  const list = await ctx.kube.requestJson<V1PodList>('GET', collectionPath(RESOURCES.pod, namespace), { query: { labelSelector: formatLabelSelector(registrySelectorLabels(registry.metadata?.name ?? '')) } });
  return list.items.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
}

/**
 * Default: every registry Pod by IP on the container port. A pod of an older pod template (its
 * config-hash differs from the Deployment's), including one still terminating, keeps the answer
 * pending: it may still run the other configuration.
 */
export const resolveReplicasByPodIp: ReplicaResolver = async (registry, ctx) => {
  const namespace = registry.metadata?.namespace ?? '';
  const deployment = ctx.cache<V1Deployment>(RESOURCES.deployment).get(namespace, registryChildNames(registry.metadata?.name ?? '').deployment);
  const wanted = deployment?.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
  if (!deployment || !wanted) return { pending: 'the registry Deployment does not exist yet' };
  const pods = await listRegistryPods(registry, ctx);
  const stale = pods.find((p) => p.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] !== wanted);
  if (stale) return { pending: `pod ${stale.metadata?.name} still runs an earlier configuration` };
  const unaddressed = pods.find((p) => !p.status?.podIP);
  if (unaddressed) return { pending: `pod ${unaddressed.metadata?.name} has no IP yet` };
  const scheme = registry.spec.tls ? 'https' : 'http';
  return { urls: pods.map((p) => `${scheme}://${p.status?.podIP?.includes(':') ? `[${p.status.podIP}]` : p.status?.podIP}:${REGISTRY_CONTAINER_PORT}`) };
};

/** Node of a running registry pod: a ReadWriteOnce volume is attached there, so the Job must run there too. */
export async function registryPodNode(registry: RegistryObject, ctx: ReconcileContext): Promise<string | undefined> {
  const pods = await listRegistryPods(registry, ctx);
  return pods.find((p) => p.status?.phase === 'Running' && p.spec?.nodeName)?.spec?.nodeName ?? pods.find((p) => p.spec?.nodeName)?.spec?.nodeName;
}

/** Lines kept from the end of the log: the script repeats the summary and the byte counts there. */
const LOG_TAIL_LINES = 400;

/** Default: the log of the Job's newest pod (the script prints the figures last). */
export const readJobPodLogs: JobOutputReader = async (job, ctx) => {
  const namespace = job.metadata?.namespace ?? '';
  const pods = await ctx.kube.requestJson<V1PodList>('GET', collectionPath(RESOURCES.pod, namespace), { query: { labelSelector: `batch.kubernetes.io/job-name=${job.metadata?.name ?? ''}` } });
  const created = (pod: V1Pod): number => new Date(pod.metadata?.creationTimestamp ?? 0).getTime();
  const newest = pods.items.sort((a, b) => created(b) - created(a))[0];
  if (!newest?.metadata?.name) return undefined;
  try {
    return await ctx.kube.requestText(objectPath(RESOURCES.pod, namespace, newest.metadata.name, 'log'), { query: { container: GC_CONTAINER_NAME, tailLines: String(LOG_TAIL_LINES) } });
  } catch (error) {
    ctx.log.warn({ err: error, pod: newest.metadata.name }, 'Failed to read the garbage-collect log');
    return undefined;
  }
};
