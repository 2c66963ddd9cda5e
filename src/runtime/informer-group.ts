/**
 * One informer per watched namespace, read and started as one: the manager's view of a kind when
 * it watches a list of namespaces (the namespaced install mode). A list-watch across all
 * namespaces would need cluster-wide `list`/`watch`; one per namespace needs a RoleBinding in each
 * of them and nothing more. Objects of other namespaces are never seen, so no CR outside the list
 * can make the operator do anything.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Informer, InformerHandlers } from './informer.js';

/** What the manager uses of an informer: a single one or a group behave the same. */
export interface SharedInformer<T extends KubernetesObject> {
  start(): void;
  stop(): Promise<void>;
  hasSynced(): boolean;
  waitForSync(): Promise<void>;
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string, labelSelector?: string): T[];
  addHandlers(handlers: InformerHandlers<T>): () => void;
}

export class InformerGroup<T extends KubernetesObject> implements SharedInformer<T> {
  constructor(private readonly byNamespace: ReadonlyMap<string, Informer<T>>) {}

  start(): void {
    for (const informer of this.byNamespace.values()) informer.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.byNamespace.values()].map((i) => i.stop()));
  }

  hasSynced(): boolean {
    return [...this.byNamespace.values()].every((i) => i.hasSynced());
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.byNamespace.values()].map((i) => i.waitForSync()));
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return namespace === undefined ? undefined : this.byNamespace.get(namespace)?.get(namespace, name);
  }

  list(namespace?: string, labelSelector?: string): T[] {
    if (namespace !== undefined && namespace !== '') return this.byNamespace.get(namespace)?.list(namespace, labelSelector) ?? [];
    return [...this.byNamespace.values()].flatMap((i) => i.list(undefined, labelSelector));
  }

  addHandlers(handlers: InformerHandlers<T>): () => void {
    const removers = [...this.byNamespace.values()].map((i) => i.addHandlers(handlers));
    return () => removers.forEach((remove) => remove());
  }
}
