import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ChildRejectedError, isUpToDate, refusesTheObject, RejectedApplies, withAppliedHash } from '../../../../src/controllers/registry/child-apply.js';

const desired: KubernetesObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n', labels: { a: 'b' } } };
const HASH = 'dockmaster.dev/applied-hash';

describe('withAppliedHash / isUpToDate', () => {
  it('stamps a stable hash that changes with the content', () => {
    const a = withAppliedHash(desired);
    expect(a.metadata?.annotations?.[HASH]).toMatch(/^[0-9a-f]{64}$/);
    expect(withAppliedHash({ ...desired }).metadata?.annotations?.[HASH]).toBe(a.metadata?.annotations?.[HASH]);
    const changed = withAppliedHash({ ...desired, metadata: { ...desired.metadata, labels: { a: 'c' } } });
    expect(changed.metadata?.annotations?.[HASH]).not.toBe(a.metadata?.annotations?.[HASH]);
  });

  const stamped = withAppliedHash(desired);
  const hash = stamped.metadata?.annotations?.[HASH] ?? '';
  const cases: Array<{ name: string; live: KubernetesObject | undefined; upToDate: boolean }> = [
    { name: 'missing child', live: undefined, upToDate: false },
    { name: 'same hash, other annotations and server fields', live: { metadata: { annotations: { [HASH]: hash, other: 'x' }, resourceVersion: '9', uid: 'u' } }, upToDate: true },
    { name: 'older hash', live: { metadata: { annotations: { [HASH]: 'old' } } }, upToDate: false },
    { name: 'created by someone else (no hash)', live: { metadata: {} }, upToDate: false },
    { name: 'being deleted', live: { metadata: { annotations: { [HASH]: hash }, deletionTimestamp: new Date() } }, upToDate: false },
  ];
  for (const c of cases) it(c.name, () => expect(isUpToDate(stamped, c.live)).toBe(c.upToDate));
});

describe('RejectedApplies', () => {
  it('remembers a refusal for the same hash only, until cleared', () => {
    const rejected = new RejectedApplies();
    const error = new ChildRejectedError('PersistentVolumeClaim', 'data', 403, 'only dynamically provisioned pvc can be resized');
    rejected.set('pvc/n/data', 'h1', error);
    expect(rejected.get('pvc/n/data', 'h1')).toBe(error);
    expect(rejected.get('pvc/n/data', 'h2')).toBeUndefined();
    expect(rejected.get('pvc/n/other', 'h1')).toBeUndefined();
    rejected.clear('pvc/n/data');
    expect(rejected.get('pvc/n/data', 'h1')).toBeUndefined();
    expect(error.code).toBe('DM_ERR_CHILD_REJECTED');
    expect(error.message).toContain('HTTP 403');
  });
});

describe('refusesTheObject', () => {
  const cases: Array<{ status: number; detail: string; refuses: boolean }> = [
    { status: 422, detail: 'Deployment.apps "r" is invalid: spec.replicas: Invalid value: -1', refuses: true },
    { status: 400, detail: 'strict decoding error: unknown field "spec.x"', refuses: true },
    { status: 413, detail: 'Request entity too large', refuses: true },
    { status: 403, detail: 'persistentvolumeclaims "d" is forbidden: only dynamically provisioned pvc can be resized', refuses: true },
    { status: 403, detail: 'admission webhook "images.dockmaster.dev" denied the request: image not allowed', refuses: true },
    // A just-restarted apiserver answers this until its RBAC cache syncs: retry, do not remember.
    { status: 403, detail: 'deployments.apps "r" is forbidden: User "op" cannot patch resource "deployments" in API group "apps" in the namespace "n"', refuses: false },
    { status: 404, detail: 'namespaces "n" not found', refuses: false },
    { status: 401, detail: 'Unauthorized', refuses: false },
    { status: 409, detail: 'Apply failed with 1 conflict', refuses: false },
    { status: 429, detail: 'Too many requests', refuses: false },
  ];
  for (const c of cases) it(`${c.status} ${c.detail.slice(0, 50)}`, () => expect(refusesTheObject(c.status, c.detail)).toBe(c.refuses));
});
