import { describe, expect, it } from 'vitest';
import type { V1Deployment } from '@kubernetes/client-node';
import { computeRegistryStatus, ownedStatusFields, registryStatusPatch, statusEquals, type ObservedRegistryState, type RegistryStatus } from '../../../../src/controllers/registry/status.js';
import { registryWith, specWith } from '../../managed-registry/registry-fixture.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2026-01-01T00:05:00Z');

function deployment(status: V1Deployment['status'], generation = 1): V1Deployment {
  return { metadata: { name: 'main-registry', generation }, status };
}
const available = deployment({ observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });

function observed(extra: Partial<ObservedRegistryState> = {}): ObservedRegistryState {
  return { deployment: available, problems: [], readOnly: false, endpoint: 'main.registries.svc:5000', ...extra };
}
function conditionsOf(status: RegistryStatus): Record<string, [string, string]> {
  return Object.fromEntries((status.conditions ?? []).map((c) => [c.type, [c.status, c.reason]]));
}

describe('computeRegistryStatus', () => {
  const cases: Array<{ name: string; replicas?: number; observed: ObservedRegistryState; expected: Record<string, [string, string]> }> = [
    {
      name: 'available and probed → Ready',
      observed: observed({ probe: { ok: true, message: '200' } }),
      expected: { Ready: ['True', 'Available'], Progressing: ['False', 'RolloutComplete'], Degraded: ['False', 'AsExpected'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'available, not probed → Ready on availability',
      observed: observed(),
      expected: { Ready: ['True', 'Available'], Progressing: ['False', 'RolloutComplete'], Degraded: ['False', 'AsExpected'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'probe fails → not Ready',
      observed: observed({ probe: { ok: false, message: 'ECONNREFUSED' } }),
      expected: { Ready: ['False', 'EndpointUnreachable'], Progressing: ['False', 'RolloutComplete'], Degraded: ['False', 'AsExpected'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'no Deployment yet',
      observed: observed({ deployment: undefined }),
      expected: { Ready: ['False', 'DeploymentMissing'], Progressing: ['True', 'RollingOut'], Degraded: ['False', 'AsExpected'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'Deployment without available replicas',
      observed: observed({ deployment: deployment({ observedGeneration: 1, replicas: 1, updatedReplicas: 1 }) }),
      expected: { Ready: ['False', 'ReplicasUnavailable'], Progressing: ['True', 'RollingOut'], Degraded: ['False', 'AsExpected'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'new generation not yet observed by the Deployment controller, old pod still serving',
      observed: observed({ deployment: deployment({ observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }, 2) }),
      expected: { Ready: ['True', 'Available'], Progressing: ['True', 'RollingOut'], Degraded: ['False', 'AsExpected'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'missing Secret before the first start → Degraded and not Ready',
      observed: observed({ deployment: undefined, problems: [{ reason: 'SecretMissing', message: 'Secret "u" ... create it' }] }),
      expected: { Ready: ['False', 'SpecInvalid'], Progressing: ['True', 'RollingOut'], Degraded: ['True', 'SecretMissing'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'Secret deleted under a running registry → Degraded, still Ready (pods keep serving)',
      observed: observed({ problems: [{ reason: 'SecretMissing', message: 'Secret "u" ... create it' }] }),
      expected: { Ready: ['True', 'Available'], Progressing: ['False', 'RolloutComplete'], Degraded: ['True', 'SecretMissing'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'apply rejected on a running registry → Degraded ApplyFailed, still Ready',
      observed: observed({ applyError: 'PVC spec is immutable' }),
      expected: { Ready: ['True', 'Available'], Progressing: ['False', 'RolloutComplete'], Degraded: ['True', 'ApplyFailed'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'apply rejected before anything ran → not Ready',
      observed: observed({ deployment: undefined, applyError: 'Deployment invalid' }),
      expected: { Ready: ['False', 'SpecInvalid'], Progressing: ['True', 'RollingOut'], Degraded: ['True', 'ApplyFailed'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'child apply failing transiently (Service IP range full) → Degraded ApplyRetrying, not SpecInvalid',
      observed: observed({ deployment: undefined, applyRetrying: 'Applying Service web failed (HTTP 500: range is full).' }),
      expected: { Ready: ['False', 'DeploymentMissing'], Progressing: ['True', 'RollingOut'], Degraded: ['True', 'ApplyRetrying'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'a rejection outranks a transient failure in Degraded',
      observed: observed({ applyError: 'PVC spec is immutable', applyRetrying: 'Applying Service web failed (HTTP 500).' }),
      expected: { Ready: ['True', 'Available'], Progressing: ['False', 'RolloutComplete'], Degraded: ['True', 'ApplyFailed'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'rollout past its deadline → Degraded RolloutStuck',
      observed: observed({
        deployment: deployment({
          observedGeneration: 1, replicas: 2, updatedReplicas: 1, availableReplicas: 1,
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet has timed out progressing.' }],
        }),
      }),
      expected: { Ready: ['True', 'Available'], Progressing: ['True', 'RollingOut'], Degraded: ['True', 'RolloutStuck'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'scaled to zero',
      replicas: 0,
      observed: observed({ deployment: deployment({ observedGeneration: 1 }) }),
      expected: { Ready: ['False', 'ScaledToZero'], Progressing: ['False', 'RolloutComplete'], Degraded: ['False', 'AsExpected'], ReadOnly: ['False', 'ReadWrite'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
    {
      name: 'read-only window',
      observed: observed({ readOnly: true }),
      expected: { Ready: ['True', 'Available'], Progressing: ['False', 'RolloutComplete'], Degraded: ['False', 'AsExpected'], ReadOnly: ['True', 'GarbageCollectionWindow'], ImageAdvisory: ['False', 'NoKnownIssue'] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const registry = registryWith(specWith({ replicas: c.replicas ?? 1 }));
      expect(conditionsOf(computeRegistryStatus(registry, c.observed, 'main-registry', T0))).toEqual(c.expected);
    });
  }

  it('sets observedGeneration on the status and every condition, plus endpoint and readOnly', () => {
    const status = computeRegistryStatus(registryWith(specWith(), { generation: 7 }), observed(), 'main-registry', T0);
    expect(status.observedGeneration).toBe(7);
    expect(status.endpoint).toBe('main.registries.svc:5000');
    expect(status.readOnly).toBe(false);
    for (const c of status.conditions ?? []) expect(c.observedGeneration).toBe(7);
  });

  it('moves lastTransitionTime only for conditions that flipped', () => {
    const first = computeRegistryStatus(registryWith(specWith()), observed({ deployment: undefined }), 'main-registry', T0);
    const second = computeRegistryStatus(registryWith(specWith(), { status: first }), observed(), 'main-registry', T1);
    const time = (s: RegistryStatus, type: string): string | undefined => s.conditions?.find((c) => c.type === type)?.lastTransitionTime as string | undefined;
    expect(time(second, 'Ready')).toBe(T1.toISOString());
    expect(time(second, 'Progressing')).toBe(T1.toISOString());
    expect(time(second, 'Degraded')).toBe(T0.toISOString());
    expect(time(second, 'ReadOnly')).toBe(T0.toISOString());
  });

  it('passes garbage-collection fields through', () => {
    const previous = { lastGarbageCollection: { blobsDeleted: 3 }, garbageCollectionWindow: { phase: 'Idle' } } as unknown as RegistryStatus;
    const status = computeRegistryStatus(registryWith(specWith(), { status: previous }), observed(), 'main-registry', T0);
    expect(status.lastGarbageCollection).toEqual(previous.lastGarbageCollection);
    expect(status.garbageCollectionWindow).toEqual(previous.garbageCollectionWindow);
  });

  it('keeps conditions of other types (the GC state machine) as they are', () => {
    const gc = { type: 'GarbageCollected', status: 'True', reason: 'Completed', message: 'ok', lastTransitionTime: T0.toISOString(), observedGeneration: 1 };
    const previous = { conditions: [gc] } as unknown as RegistryStatus;
    const status = computeRegistryStatus(registryWith(specWith(), { status: previous }), observed(), 'main-registry', T1);
    expect(status.conditions?.map((c) => c.type)).toEqual(['Ready', 'Progressing', 'Degraded', 'ReadOnly', 'ImageAdvisory', 'GarbageCollected']);
    expect(status.conditions?.[5]).toEqual(gc);
  });

  it('is stable: recomputing from its own output at a later time changes nothing', () => {
    const first = computeRegistryStatus(registryWith(specWith()), observed(), 'main-registry', T0);
    const again = computeRegistryStatus(registryWith(specWith(), { status: first }), observed(), 'main-registry', T1);
    expect(statusEquals(first, again)).toBe(true);
  });
});

describe('statusEquals', () => {
  it('compares only the fields this controller writes', () => {
    const mine = { endpoint: 'a', readOnly: false } as RegistryStatus;
    const withGc = { ...mine, lastGarbageCollection: { blobsDeleted: 1 } } as unknown as RegistryStatus;
    expect(statusEquals(withGc, mine)).toBe(true);
    expect(ownedStatusFields(withGc)).toEqual({ endpoint: 'a', readOnly: false, observedGeneration: undefined, conditions: undefined });
  });

  it('ignores key order, notices value changes', () => {
    expect(statusEquals({ endpoint: 'a', readOnly: false } as RegistryStatus, { readOnly: false, endpoint: 'a' } as RegistryStatus)).toBe(true);
    expect(statusEquals({ endpoint: 'a' } as RegistryStatus, { endpoint: 'b' } as RegistryStatus)).toBe(false);
    expect(statusEquals(undefined, { endpoint: 'a' } as RegistryStatus)).toBe(false);
  });
});

describe('the ImageAdvisory condition', () => {
  it.each([
    ['registry:3.0.0', 'True', 'TagDeleteBypassesDeleteEnabled'],
    ['registry:3.1.0', 'True', 'TagDeleteBypassesDeleteEnabled'],
    ['registry:3.1.1', 'False', 'NoKnownIssue'],
    ['registry:2.8.3', 'False', 'NoKnownIssue'],
    [`registry@sha256:${'a'.repeat(64)}`, 'False', 'NoKnownIssue'],
  ])('%s → %s/%s', (image, status, reason) => {
    const computed = computeRegistryStatus(registryWith(specWith({ image })), observed(), 'main-registry', T0);
    expect(computed.conditions?.find((c) => c.type === 'ImageAdvisory')).toMatchObject({ status, reason });
  });
});

describe('downgradeRefusal (3.x back to 2.x on the same storage)', () => {
  it('refuses 3.x → 2.x unless annotated; allows every other change', async () => {
    const { downgradeRefusal } = await import('../../../../src/managed-registry/image-advisory.js');
    expect(downgradeRefusal('registry:2.8.3', 'registry:3.1.2', {})).toMatch(/^spec\.image registry:2\.8\.3 is distribution 2\.x, but the registry runs registry:3\.1\.2.*dockmaster\.dev\/allow-downgrade=true/);
    expect(downgradeRefusal('registry:2.8.3', 'registry:3.1.2', { 'dockmaster.dev/allow-downgrade': 'true' })).toBeUndefined();
    expect(downgradeRefusal('registry:3.1.2', 'registry:2.8.3', {})).toBeUndefined();
    expect(downgradeRefusal('registry:2.8.3', 'registry:2.8.2', {})).toBeUndefined();
    expect(downgradeRefusal('registry:2.8.3', undefined, {})).toBeUndefined();
    expect(downgradeRefusal(`registry@sha256:${'a'.repeat(64)}`, 'registry:3.1.2', {})).toBeUndefined();
  });
});

describe('status.nodeAddress', () => {
  it('is written when nodes can reach the Registry, removed when they no longer can, and kept while the spec does not parse', () => {
    const registry = registryWith(specWith());
    const reachable = computeRegistryStatus(registry, observed({ nodeAddress: 'registry.example.com' }), 'main-registry', T0);
    expect(reachable.nodeAddress).toBe('registry.example.com');
    const lost = computeRegistryStatus({ ...registry, status: reachable }, observed({ nodeAddress: undefined }), 'main-registry', T1);
    expect(registryStatusPatch(reachable, lost)?.status).toMatchObject({ nodeAddress: null });
    // No nodeAddress key observed: the spec did not parse, so nothing is known and nothing changes.
    expect(computeRegistryStatus({ ...registry, status: reachable }, observed(), 'main-registry', T1).nodeAddress).toBe('registry.example.com');
  });
});
