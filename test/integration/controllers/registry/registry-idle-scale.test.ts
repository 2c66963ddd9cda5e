import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectPath, RESOURCES } from '../../../../src/runtime/resources.js';
import { eventually } from '../../runtime/wait.js';
import { startOperatorUnderTest, type OperatorUnderTest } from './operator-under-test.js';

const COUNT = 100;
const IDLE_MS = 60_000;
let env: OperatorUnderTest;
const ns = `registry-scale-${Date.now().toString(36)}`;
const measured: Record<string, number> = {};

beforeAll(async () => {
  env = await startOperatorUnderTest(ns);
});
afterAll(async () => {
  console.log(`Registry controller at scale: ${JSON.stringify(measured)}`);
  await env?.stop();
});

interface RegistryList {
  items: Array<{ metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: Array<{ type: string; reason: string }> } }>;
}

describe(`${COUNT} Registries on the real apiserver`, () => {
  it('are all reconciled, then an idle minute makes zero writes', async () => {
    // replicas 0: every child and status is real, but the stand-in starts no process, so a
    // 2-core machine can hold a hundred of them.
    const started = Date.now();
    const requestsBefore = env.manager.metrics.apiRequestCount();
    for (let i = 0; i < COUNT; i++) {
      await env.applyAsUser({
        apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name: `r${i}` },
        spec: { image: 'registry:2.8.2', replicas: 0, storage: { pvc: { size: '1Gi' } } },
      } as never);
    }
    await eventually(async () => {
      const list = await env.user.requestJson<RegistryList>('GET', objectPath(RESOURCES.registry, ns, '').replace(/\/$/, ''));
      const done = list.items.filter((r) => r.status?.observedGeneration === r.metadata.generation
        && r.status.conditions?.find((c) => c.type === 'Ready')?.reason === 'ScaledToZero');
      expect(done.length).toBe(COUNT);
    }, 120_000, 500);
    measured.allReconciledMs = Date.now() - started;
    measured.apiRequestsPerRegistry = (env.manager.metrics.apiRequestCount() - requestsBefore) / COUNT;

    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const writesBefore = env.manager.metrics.writeRequestCount();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    measured.idleWritesPerMinute = env.manager.metrics.writeRequestCount() - writesBefore;
    expect(measured.idleWritesPerMinute, JSON.stringify(env.manager.metrics.writeRequestsByResource())).toBe(0);
  }, 300_000);
});
