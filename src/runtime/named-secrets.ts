/**
 * Secrets read by name, one GET each, when a reconcile needs them; never listed, watched or cached.
 * A cluster-wide cache of Secrets would hold every credential of every namespace in the
 * operator's memory and need `list`/`watch` on all of them; a GET of the few a CR names needs
 * only `get` (RBAC cannot scope it by name either, but nothing is held between reconciles).
 * The price: a Secret's change is seen at the object's next reconcile (an edit of the CR, a
 * child's event, a requeue or the informers' resync), not at once.
 */
import type { V1Secret } from '@kubernetes/client-node';
import { getOrUndefined, type KubeClients } from './kube-client.js';
import { objectPath, RESOURCES } from './resources.js';

/** A Secret of the namespace the lookup was made for, or undefined when it does not exist. */
export type SecretLookup = (name: string) => V1Secret | undefined;

/** GETs each named Secret of `namespace` (in parallel, each name once) and answers lookups from what was read. */
export async function readNamedSecrets(kube: KubeClients, namespace: string, names: Iterable<string>): Promise<SecretLookup> {
  const wanted = [...new Set(names)].filter((name) => name !== '');
  const read = await Promise.all(
    wanted.map(async (name) => [name, await getOrUndefined(() => kube.requestJson<V1Secret>('GET', objectPath(RESOURCES.secret, namespace, name)))] as const),
  );
  const found = new Map(read.filter((entry): entry is readonly [string, V1Secret] => entry[1] !== undefined));
  return (name) => found.get(name);
}
