import { Watch, type KubernetesObject } from '@kubernetes/client-node';
import { collectionPath, type KubeClients, type KubeResource, type ListerWatcher, type WatchEvent } from '../../runtime/index.js';
import type { WatchEventType } from '../../runtime/informer.js';

/**
 * A list+watch of ONE object by name (`fieldSelector=metadata.name=<name>`), for the runtime's
 * Informer. RBAC can then scope list and watch with `resourceNames`: the apiserver authorizes a
 * collection request against resourceNames only when it carries that field selector.
 */
export function createNamedObjectListerWatcher<T extends KubernetesObject>(
  clients: KubeClients,
  resource: KubeResource,
  namespace: string | undefined,
  name: string,
): ListerWatcher<T> {
  const path = collectionPath(resource, namespace);
  const fieldSelector = `metadata.name=${name}`;
  const watcher = new Watch(clients.kubeConfig);
  return {
    async list() {
      const list = await clients.requestJson<{ items?: T[]; metadata?: { resourceVersion?: string } }>('GET', path, { query: { fieldSelector } });
      return {
        items: (list.items ?? []).map((item) => ({ ...item, apiVersion: resource.apiVersion, kind: resource.kind })),
        resourceVersion: list.metadata?.resourceVersion ?? '',
      };
    },
    async watch(resourceVersion, onEvent, onDone) {
      let finished = false;
      const finish = (err?: unknown): void => {
        if (finished) return;
        finished = true;
        onDone(err ?? undefined);
      };
      const controller = await watcher.watch(
        path,
        { resourceVersion, allowWatchBookmarks: true, fieldSelector, timeoutSeconds: Math.round(300 * (1 + Math.random())) },
        (type: string, object: unknown) => onEvent({ type: type as WatchEventType, object } as WatchEvent<T>),
        (err: unknown) => finish(err),
      );
      return {
        stop() {
          try {
            controller.abort();
          } catch {
            // node-fetch can rethrow its AbortError synchronously from abort(); the watch is over either way.
          }
          finish();
        },
      };
    },
  };
}
