/**
 * One run never blocks the others: retention runs take slots off the reconcile workers, capped
 * per namespace and handed out in turn (src/runtime/background-work.ts). Here a tenant points
 * four RetentionPolicies at registries that never answer (each run would hold its slot for the
 * whole request deadline), and another tenant's healthy policy still runs at once, and so do
 * the first tenant's other reconciles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_NOW_ANNOTATION } from '../../../../src/api/run-schedule.js';
import { objectPath, RESOURCES } from '../../../../src/runtime/resources.js';
import { uniqueNamespaceName } from '../../../controlplane/shared.js';
import { pushImage, tagManifest } from '../../../harness/fixtures.js';
import { RegistryV2Client } from '../../../../src/registry/client/index.js';
import { startHostileRegistry, type HostileRegistry } from '../../../harness/hostile-registry.js';
import { startRegistry, type RunningRegistry } from '../../../harness/registry.js';
import { eventually } from '../../runtime/wait.js';
import { startRetentionOperator, type RetentionOperator } from './retention-operator.js';

interface PolicyView {
  status?: { handledRunNow?: string; lastRun?: { result?: string; digestsDeleted?: number }; conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
}

const HOSTILE_POLICIES = 4;

describe('retention run fairness', () => {
  const hostileNs = uniqueNamespaceName('hostile-tenant');
  const healthyNs = uniqueNamespaceName('healthy-tenant');
  let env: RetentionOperator;
  let healthy: RunningRegistry;
  const hostile: HostileRegistry[] = [];

  beforeAll(async () => {
    // Two slots, one per namespace: the hostile tenant can hold one slot, never both.
    env = await startRetentionOperator(hostileNs, { extraNamespaces: [healthyNs], runSlots: { maxConcurrentRuns: 2, maxConcurrentRunsPerNamespace: 1, maxTagsInMemory: 150_000 } });
    healthy = await startRegistry({ deleteEnabled: true });
    for (let i = 0; i < 3; i++) await pushImage(healthy.url, 'app/web', { tags: [`v${i}`], created: `2024-01-0${i + 1}T00:00:00Z`, seed: `fair-${i}` });
    for (let i = 0; i < HOSTILE_POLICIES; i++) hostile.push(await startHostileRegistry('slow-headers'));
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
    await healthy?.stop();
    await Promise.all(hostile.map((h) => h.close()));
  });

  const policy = (name: string, namespace: string, url: string) => ({
    apiVersion: 'dockmaster.dev/v1alpha1',
    kind: 'RetentionPolicy',
    metadata: { name, namespace, annotations: { [RUN_NOW_ANNOTATION]: '1' } },
    // A minute per request: long enough that the hostile runs hold their slot for the whole test.
    spec: { external: { url }, keep: [{ mostRecent: 1 }], maxDuration: '5m', limits: { requestDeadline: '60s' } },
  });
  const get = (namespace: string, name: string) => env.user.requestJson<PolicyView>('GET', objectPath(RESOURCES.retentionPolicy, namespace, name));

  it("a tenant's hung registries hold one slot; another tenant's policy runs at once and deletes", async () => {
    for (let i = 0; i < HOSTILE_POLICIES; i++) await env.apply(policy(`hung-${i}`, hostileNs, hostile[i]?.url ?? '') as never);
    // The hostile runs have started (one running, the others queued behind the namespace's cap).
    await eventually(async () => {
      const reasons = await Promise.all(Array.from({ length: HOSTILE_POLICIES }, async (_, i) => (await get(hostileNs, `hung-${i}`)).status?.conditions?.find((c) => c.type === 'Running')?.reason));
      expect(reasons.filter((r) => r === 'RunInProgress')).toHaveLength(1);
      expect(reasons.filter((r) => r === 'Queued')).toHaveLength(HOSTILE_POLICIES - 1);
    }, 30_000, 200);

    const started = Date.now();
    await env.apply(policy('nightly', healthyNs, healthy.url) as never);
    let done: PolicyView | undefined;
    await eventually(async () => {
      done = await get(healthyNs, 'nightly');
      expect(done.status?.handledRunNow).toBe('1');
    }, 30_000, 200);
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`[fairness] healthy run done in ${seconds.toFixed(1)} s while ${HOSTILE_POLICIES} hostile runs hold or wait for their tenant's slot\n`);
    expect(done?.status?.lastRun).toMatchObject({ result: 'Succeeded', digestsDeleted: 2 });
    // Still hung: the healthy run did not wait for any of them to end.
    const stillRunning = await get(hostileNs, 'hung-0');
    expect(stillRunning.status?.handledRunNow).toBeUndefined();
    expect(seconds).toBeLessThan(20);
    // Nothing was deleted from (or even answered by) the hung registries.
    expect(hostile.reduce((n, h) => n + h.deletes(), 0)).toBe(0);
  }, 90_000);
});

describe('the operator-wide tag budget (retention.maxTagsInMemory)', () => {
  const ns = uniqueNamespaceName('tag-budget');
  let env: RetentionOperator;
  let big: RunningRegistry;

  beforeAll(async () => {
    env = await startRetentionOperator(ns, { runSlots: { maxConcurrentRuns: 2, maxConcurrentRunsPerNamespace: 2, maxTagsInMemory: 1000 } });
    big = await startRegistry({ deleteEnabled: true });
    const image = await pushImage(big.url, 'app/big', { tags: ['t0000'], seed: 'budget' });
    // One at a time: 2.8.2 answers 500 to concurrent writes of tags on one manifest.
    for (let i = 1; i < 1001; i++) await tagManifest(big.url, 'app/big', image.digest, `t${String(i).padStart(4, '0')}`);
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
    await big?.stop();
  });

  it('a run whose listing needs more tags than the budget holds deletes nothing, is not recorded, and says it waits for memory', async () => {
    await env.apply({
      apiVersion: 'dockmaster.dev/v1alpha1',
      kind: 'RetentionPolicy',
      metadata: { name: 'big', annotations: { [RUN_NOW_ANNOTATION]: '1' } },
      spec: { external: { url: big.url }, keep: [{ mostRecent: 1 }] },
    } as never);
    await eventually(async () => {
      const policy = await env.user.requestJson<PolicyView>('GET', objectPath(RESOURCES.retentionPolicy, ns, 'big'));
      const running = policy.status?.conditions?.find((c) => c.type === 'Running');
      expect(running, JSON.stringify(policy.status)).toMatchObject({ status: 'False', reason: 'WaitingForMemory' });
      expect(running?.message).toMatch(/needs 1001 more.*retention\.maxTagsInMemory/);
      expect(policy.status?.lastRun).toBeUndefined();
      expect(policy.status?.handledRunNow).toBeUndefined();
    }, 30_000, 200);
    const client = new RegistryV2Client({ url: big.url, allowPlainHttp: true });
    try {
      expect(await client.listTags('app/big')).toHaveLength(1001);
    } finally {
      await client.close();
    }
  }, 90_000);
});
