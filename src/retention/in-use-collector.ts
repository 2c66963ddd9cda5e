/**
 * Reads what the cluster runs (I/O), for in-use protection (retention/in-use.ts): every Pod
 * (containers, init and ephemeral, plus the digests its containers resolved to) and the pod
 * template of every Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob.
 *
 * What counts, whatever its state: an object that exists keeps its images. That includes
 * ReplicaSets scaled to 0 (a Deployment's revision history: a rollback needs their images),
 * completed Jobs and their Pods, and suspended CronJobs.
 *
 * Only image strings are kept, page by page (500 objects per request): nothing else of these
 * objects (env can hold secrets) is cached or held past the page it came in.
 */
import { extractContainerImages } from '../admission/workload-images.js';
import type { KubeClients } from '../runtime/kube-client.js';
import { apiErrorStatus } from '../runtime/kube-client.js';
import { apiGroupOf, collectionPath, WORKLOAD_RESOURCES, type KubeResource } from '../runtime/resources.js';
import type { ImageInUse } from './in-use.js';

const PAGE_SIZE = 500;

interface ListPage {
  metadata?: { continue?: string };
  items?: Array<{ metadata?: { name?: string; namespace?: string }; status?: PodStatusImages }>;
}

interface ContainerStatusImage {
  imageID?: string;
}
interface PodStatusImages {
  containerStatuses?: ContainerStatusImage[];
  initContainerStatuses?: ContainerStatusImage[];
  ephemeralContainerStatuses?: ContainerStatusImage[];
}

/** `docker-pullable://host/repo@sha256:…` (dockershim) or `host/repo@sha256:…` (containerd, CRI-O) → the reference; else undefined. */
export function imageIdReference(imageID: string | undefined): string | undefined {
  if (!imageID) return undefined;
  const reference = imageID.replace(/^[a-z-]+:\/\//, '');
  return reference.includes('@sha256:') ? reference : undefined;
}

/** The image references one listed object uses (pure). */
export function imagesOfObject(source: { group: string; kind: string }, object: NonNullable<ListPage['items']>[number]): ImageInUse[] {
  const usedBy = { namespace: object.metadata?.namespace ?? '', kind: source.kind, name: object.metadata?.name ?? '' };
  const found = new Set<string>();
  try {
    for (const container of extractContainerImages(source.group, source.kind, object) ?? []) if (container.image) found.add(container.image);
  } catch {
    // A malformed object names no image we could protect anyway.
  }
  const statuses = [...(object.status?.containerStatuses ?? []), ...(object.status?.initContainerStatuses ?? []), ...(object.status?.ephemeralContainerStatuses ?? [])];
  for (const status of statuses) {
    const reference = imageIdReference(status.imageID);
    if (reference) found.add(reference);
  }
  return [...found].map((image) => ({ image, usedBy }));
}

export interface InUseCollection {
  images: ImageInUse[];
  /** Set when only some namespaces could be read: every plan says so. */
  note?: string;
}

async function listAll(kube: Pick<KubeClients, 'requestJson'>, resource: KubeResource, namespace: string | undefined, into: ImageInUse[], signal?: AbortSignal): Promise<void> {
  const base = collectionPath(resource, namespace);
  const source = { group: apiGroupOf(resource), kind: resource.kind };
  let next: string | undefined;
  do {
    if (signal?.aborted) throw new Error('aborted while reading what the cluster runs');
    const query = `?limit=${PAGE_SIZE}${next ? `&continue=${encodeURIComponent(next)}` : ''}`;
    const page = await kube.requestJson<ListPage>('GET', `${base}${query}`);
    for (const item of page.items ?? []) into.push(...imagesOfObject(source, item));
    next = page.metadata?.continue || undefined;
  } while (next);
}

/**
 * Every image reference in use. Reads cluster-wide; when that is forbidden and the operator
 * watches a list of namespaces (the namespaced install without the optional ClusterRole), reads
 * those namespaces and says so in `note`. Any other failure throws: a run without its in-use data
 * must not delete.
 */
export async function collectImagesInUse(kube: Pick<KubeClients, 'requestJson'>, watchedNamespaces: readonly string[], signal?: AbortSignal): Promise<InUseCollection> {
  const images: ImageInUse[] = [];
  try {
    for (const resource of WORKLOAD_RESOURCES) await listAll(kube, resource, undefined, images, signal);
    return { images };
  } catch (error) {
    if (apiErrorStatus(error) !== 403 || watchedNamespaces.length === 0) throw error;
  }
  images.length = 0;
  for (const namespace of watchedNamespaces) for (const resource of WORKLOAD_RESOURCES) await listAll(kube, resource, namespace, images, signal);
  return {
    images,
    note: `in-use protection covers only the watched namespaces (${watchedNamespaces.join(', ')}): the operator may not read Pods and workloads cluster-wide (grant the optional ClusterRole dockmaster-in-use-reader)`,
  };
}
