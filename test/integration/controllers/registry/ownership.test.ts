/**
 * A Registry never adopts an object it does not control (the operator under deploy/'s RBAC, on
 * the real apiserver): a user's Service `web` beside a Registry named `web` keeps its selector and
 * ports, the Registry reports NameConflict naming it, and deleting the Registry leaves it alone.
 * Two Registries whose derived names collide are caught the same way.
 */
import type { V1Service } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectPath, RESOURCES } from '../../../../src/runtime/resources.js';
import { eventually } from '../../runtime/wait.js';
import { startOperatorUnderTest, type OperatorUnderTest } from './operator-under-test.js';

const ns = `registry-own-${Date.now().toString(36)}`;
let env: OperatorUnderTest;

beforeAll(async () => {
  env = await startOperatorUnderTest(ns);
}, 180_000);

afterAll(async () => {
  await env?.stop();
}, 60_000);

const registry = (name: string) => ({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name }, spec: { storage: { emptyDir: {} } } });

async function degraded(name: string): Promise<{ reason?: string; message?: string } | undefined> {
  const reg = await env.user.requestJson<{ status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } }>(
    'GET',
    objectPath(RESOURCES.registry, ns, name),
  );
  return reg.status?.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True');
}

describe('ownership of children', () => {
  it("does not adopt a user's Service of the same name, says so, and leaves it alone on delete", async () => {
    const foreign: V1Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns, labels: { app: 'shop' } },
      spec: { selector: { app: 'shop' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    };
    await env.user.requestJson('POST', `/api/v1/namespaces/${ns}/services`, { body: foreign });
    await env.applyAsUser(registry('web'));
    await eventually(async () => {
      const condition = await degraded('web');
      expect(condition?.reason).toBe('NameConflict');
      expect(condition?.message).toContain(`Service ${ns}/web already exists`);
      expect(condition?.message).toContain('does not adopt');
    }, 60_000, 250);
    // The other children are created; the Service is untouched.
    await eventually(async () => {
      await env.user.requestJson('GET', objectPath(RESOURCES.deployment, ns, 'web-registry'));
    }, 60_000, 250);
    const service = await env.user.requestJson<V1Service>('GET', objectPath(RESOURCES.service, ns, 'web'));
    expect(service.spec?.selector).toEqual({ app: 'shop' });
    expect(service.spec?.ports?.map((p) => p.port)).toEqual([80]);
    expect(service.metadata?.ownerReferences ?? []).toEqual([]);
    expect(service.metadata?.managedFields?.some((f) => f.manager === 'dockmaster')).toBe(false);

    await env.user.requestJson('DELETE', objectPath(RESOURCES.registry, ns, 'web'));
    await eventually(async () => {
      const gone = await env.user.requestJson('GET', objectPath(RESOURCES.registry, ns, 'web')).then(() => false, () => true);
      expect(gone).toBe(true);
    }, 60_000, 250);
    const after = await env.user.requestJson<V1Service>('GET', objectPath(RESOURCES.service, ns, 'web'));
    expect(after.metadata?.uid).toBe(service.metadata?.uid);
  }, 120_000);

  it("never takes over a child another Registry controls", async () => {
    // Two owners for one name: a child whose controller reference names another Registry's UID
    // (two Registries whose derived names collide, or a Registry re-created while the old one's
    // children remain) is never taken over, even though it carries our labels.
    await env.applyAsUser(registry('first'));
    await eventually(async () => {
      await env.user.requestJson('GET', objectPath(RESOURCES.service, ns, 'first'));
    }, 60_000, 250);
    const old = await env.user.requestJson<{ metadata: { uid: string } }>('GET', objectPath(RESOURCES.service, ns, 'first'));
    await env.user.requestJson('PATCH', objectPath(RESOURCES.service, ns, 'first'), {
      body: { metadata: { ownerReferences: [{ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', name: 'first', uid: '00000000-0000-0000-0000-000000000000', controller: true }] } },
      contentType: 'application/merge-patch+json',
    });
    await eventually(async () => {
      const condition = await degraded('first');
      expect(condition?.reason).toBe('NameConflict');
      expect(condition?.message).toContain('is controlled by Registry first');
    }, 60_000, 250);
    const service = await env.user.requestJson<{ metadata: { uid: string; ownerReferences?: Array<{ uid: string }> } }>('GET', objectPath(RESOURCES.service, ns, 'first'));
    expect(service.metadata.uid).toBe(old.metadata.uid);
    expect(service.metadata.ownerReferences?.[0]?.uid).toBe('00000000-0000-0000-0000-000000000000');
  }, 120_000);
});
