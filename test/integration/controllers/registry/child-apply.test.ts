/**
 * applyChild on the real apiserver, request by request (issue 21 moved work out of creation):
 * a new child costs one POST; its first change turns the creation's Update entry into an Apply
 * entry, so a field the desired object dropped is pruned as server-side apply prunes; a name
 * taken by a foreign object is never written.
 */
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChild, RejectedApplies } from '../../../../src/controllers/registry/child-apply.js';
import { loadKubeConfig, type ApiRequestRecord } from '../../../../src/runtime/kube-client.js';
import { slimForCache } from '../../../../src/runtime/informer.js';
import { NameConflictError } from '../../../../src/runtime/ownership.js';
import { objectPath, RESOURCES } from '../../../../src/runtime/resources.js';
import { sharedControlPlane } from '../../../controlplane/shared.js';
import { ensureNamespace } from '../../runtime/wait.js';
import { createTestKubeClients, type TestKubeClients } from '../../../harness/typed-clients.js';

const ns = `child-apply-${Date.now().toString(36)}`;
let admin: TestKubeClients;
let counted: TestKubeClients;
const requests: ApiRequestRecord[] = [];
let ownerUid = '';

beforeAll(async () => {
  const kc = loadKubeConfig({ kubeconfigPath: sharedControlPlane().kubeconfigPath });
  admin = createTestKubeClients(kc);
  counted = createTestKubeClients(kc, (record) => requests.push(record));
  await ensureNamespace(admin, ns);
  // Any object can own the children; a ConfigMap keeps the test free of CRDs.
  const owner = await admin.requestJson<V1ConfigMap>('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { metadata: { name: 'owner' } } });
  ownerUid = owner.metadata?.uid ?? '';
}, 60_000);

afterAll(async () => {
  await admin?.requestJson('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
});

const child = (name: string, data: Record<string, string>): V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: ownerUid, controller: true }] },
  data,
});

/** The object as the operator's cache holds it. */
const cached = async (name: string): Promise<KubernetesObject> => slimForCache(await admin.requestJson<KubernetesObject>('GET', objectPath(RESOURCES.configMap, ns, name)));
const verbs = (): string[] => requests.splice(0).map((r) => `${r.verb} ${r.resource} ${r.code}`);

describe('applyChild', () => {
  it('creates with one request, prunes a dropped field at the first change, and writes nothing when up to date', async () => {
    const rejected = new RejectedApplies();
    verbs();
    expect(await applyChild(counted, RESOURCES.configMap, child('pruned', { a: '1', b: '2' }), undefined, rejected)).toBe(true);
    expect(verbs()).toEqual(['create configmaps 201']);

    const created = await admin.requestJson<V1ConfigMap>('GET', objectPath(RESOURCES.configMap, ns, 'pruned'));
    expect(created.metadata?.managedFields?.find((f) => f.manager === 'dockmaster')?.operation).toBe('Update');

    // The first change: read (the cache has no field sets), turn the entry into Apply, apply.
    expect(await applyChild(counted, RESOURCES.configMap, child('pruned', { a: '1' }), await cached('pruned'), rejected)).toBe(true);
    expect(verbs()).toEqual(['get configmaps 200', 'patch configmaps 200', 'patch configmaps 200']);
    const changed = await admin.requestJson<V1ConfigMap>('GET', objectPath(RESOURCES.configMap, ns, 'pruned'));
    expect(changed.data).toEqual({ a: '1' });
    expect(changed.metadata?.managedFields?.filter((f) => f.manager === 'dockmaster').map((f) => f.operation)).toEqual(['Apply']);

    // Later changes are one apply; an unchanged child costs nothing.
    expect(await applyChild(counted, RESOURCES.configMap, child('pruned', { c: '3' }), await cached('pruned'), rejected)).toBe(true);
    expect(verbs()).toEqual(['patch configmaps 200']);
    expect((await admin.requestJson<V1ConfigMap>('GET', objectPath(RESOURCES.configMap, ns, 'pruned'))).data).toEqual({ c: '3' });
    expect(await applyChild(counted, RESOURCES.configMap, child('pruned', { c: '3' }), await cached('pruned'), rejected)).toBe(false);
    expect(verbs()).toEqual([]);
  });

  it('never writes an object of that name it does not control, even when the cache has not seen it', async () => {
    await admin.requestJson('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { metadata: { name: 'foreign' }, data: { mine: 'yes' } } });
    verbs();
    const error = await applyChild(counted, RESOURCES.configMap, child('foreign', { a: '1' }), undefined, new RejectedApplies()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NameConflictError);
    expect(verbs()).toEqual(['create configmaps 409', 'get configmaps 200']);
    const foreign = await admin.requestJson<V1ConfigMap>('GET', objectPath(RESOURCES.configMap, ns, 'foreign'));
    expect(foreign.data).toEqual({ mine: 'yes' });
    expect(foreign.metadata?.ownerReferences ?? []).toEqual([]);
  });

  it('applies over its own child that the cache has not seen yet', async () => {
    const rejected = new RejectedApplies();
    await applyChild(counted, RESOURCES.configMap, child('lagging', { a: '1' }), undefined, rejected);
    verbs();
    // A second reconcile before the informer delivered the creation: 409, read, ours, applied.
    expect(await applyChild(counted, RESOURCES.configMap, child('lagging', { a: '2' }), undefined, rejected)).toBe(true);
    expect(verbs()).toEqual(['create configmaps 409', 'get configmaps 200', 'patch configmaps 200', 'patch configmaps 200']);
    expect((await admin.requestJson<V1ConfigMap>('GET', objectPath(RESOURCES.configMap, ns, 'lagging'))).data).toEqual({ a: '2' });
  });
});
