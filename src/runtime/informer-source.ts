import type { KubernetesObject } from '@kubernetes/client-node';
import { apiErrorStatus, type KubeClients } from './kube-client.js';
import type { ListResult, ListerWatcher, WatchEvent } from './informer.js';
import { collectionPath, type KubeResource } from './resources.js';

export interface ApiListerWatcherOptions {
  /** Limit to one namespace; all namespaces when absent. */
  namespace?: string;
  /** Server-side label selector, e.g. MANAGED_BY_SELECTOR for owned kinds. */
  labelSelector?: string;
  /**
   * Server-side field selector, e.g. `metadata.name=<name>` to watch ONE object: RBAC can then
   * scope list and watch with `resourceNames`, because the apiserver authorizes a collection
   * request against resourceNames only when it carries that field selector.
   */
  fieldSelector?: string;
  /** Items per list page (client-go pages at 500). */
  pageSize?: number;
  /** Server-side watch timeout; the server closes the watch after it and we re-watch (client-go: 5–10 min). */
  watchTimeoutSeconds?: number;
}

interface RawList<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/**
 * Lists page by page and watches (streamed) over the counted client.
 * Not client-node's own ListWatch: in 1.4 it stops for good on any watch error other than 410,
 * never resyncs and exposes no sync state, and an operator must survive apiserver restarts.
 */
export function createApiListerWatcher<T extends KubernetesObject>(
  clients: KubeClients,
  resource: KubeResource,
  options: ApiListerWatcherOptions = {},
): ListerWatcher<T> {
  const path = collectionPath(resource, options.namespace);
  const pageSize = options.pageSize ?? 500;

  async function listAll(limit: number | undefined): Promise<ListResult<T>> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await clients.requestJson<RawList<T>>('GET', path, {
        query: {
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          limit: limit === undefined ? undefined : String(limit),
          continue: continueToken,
        },
      });
      // List items carry no apiVersion/kind (the list does); set them so cached objects are complete.
      for (const item of page.items ?? []) items.push({ ...item, apiVersion: resource.apiVersion, kind: resource.kind });
      continueToken = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? '';
    } while (continueToken);
    return { items, resourceVersion };
  }

  return {
    async list() {
      try {
        return await listAll(pageSize);
      } catch (err) {
        // A continue token expires (410) when paging outlives etcd compaction; client-go then lists
        // again without paging, which the watch cache serves in one consistent snapshot.
        if (apiErrorStatus(err) !== 410) throw err;
        return await listAll(undefined);
      }
    },

    watch(resourceVersion, onEvent, onDone) {
      const query = {
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: options.watchTimeoutSeconds ?? Math.round(300 * (1 + Math.random())),
        labelSelector: options.labelSelector || undefined,
        fieldSelector: options.fieldSelector || undefined,
      };
      return clients.watch(path, query, (event) => onEvent(event as WatchEvent<T>), onDone);
    },
  };
}
