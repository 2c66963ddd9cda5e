import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreV1EventList, V1Deployment } from '@kubernetes/client-node';
import type { RetentionPolicy } from '../../../../src/api/retention-policy.js';
import { registryChildNames } from '../../../../src/managed-registry/children.js';
import { RUN_NOW_ANNOTATION } from '../../../../src/api/run-schedule.js';
import { RegistryV2Client } from '../../../../src/registry/client/index.js';
import { objectPath, RESOURCES } from '../../../../src/runtime/resources.js';
import { uniqueNamespaceName } from '../../../controlplane/shared.js';
import { attachedTag, pushImage, pushIndex, pushSignature, type BasicCredentials } from '../../../harness/fixtures.js';
import { LOCAL_URL_ANNOTATION } from '../../../kubelet/stand-in-kubelet.js';
import { eventually } from '../../runtime/wait.js';
import { startRetentionOperator, type RetentionOperator } from './retention-operator.js';

// bcrypt (cost 5) of "s3cret" for user "dockmaster", as `htpasswd -Bbn` writes it.
const HTPASSWD = 'dockmaster:$2b$05$JezLqmb71FhrFY/nIJpNpOjtGol7uFMcOE8Hvsr8Dil4ID74GkiNW\n';
const USER: BasicCredentials = { username: 'dockmaster', password: 's3cret' };
const TWO_PLATFORMS = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }];
const day = (n: number): string => new Date(Date.UTC(2026, 0, n)).toISOString();

type PolicyView = RetentionPolicy & { metadata: { generation: number } };

let env: RetentionOperator;
const ns = uniqueNamespaceName('retention-ctl');

beforeAll(async () => {
  env = await startRetentionOperator(ns);
}, 120_000);
afterAll(async () => {
  await env?.stop();
});

async function localUrl(registry: string): Promise<string> {
  let url = '';
  await eventually(async () => {
    const dep = await env.user.requestJson<V1Deployment>('GET', objectPath(RESOURCES.deployment, ns, registryChildNames(registry).deployment));
    url = dep.metadata?.annotations?.[LOCAL_URL_ANNOTATION] ?? '';
    expect(url, env.kubelet.lastError(ns, registryChildNames(registry).deployment)).not.toBe('');
  }, 60_000, 250);
  return url;
}

/**
 * Waits until the registry's Deployment moved past `generation` and the stand-in kubelet rolled
 * it. Secrets are not watched (src/runtime/named-secrets.ts): a changed Secret rolls the pods at
 * the Registry's next reconcile, so a push right after the change could meet the restart.
 */
async function waitForRollout(registry: string, generation: number, previousUrl: string): Promise<string> {
  let url = '';
  await eventually(async () => {
    const dep = await env.user.requestJson<V1Deployment>('GET', objectPath(RESOURCES.deployment, ns, registryChildNames(registry).deployment));
    expect(dep.metadata?.generation ?? 0).toBeGreaterThan(generation);
    expect(dep.status?.observedGeneration).toBe(dep.metadata?.generation);
    expect(dep.status?.availableReplicas).toBe(dep.spec?.replicas ?? 1);
    // The stand-in writes the new process's URL in a second call after the status: until then the
    // annotation still names the stopped process.
    url = dep.metadata?.annotations?.[LOCAL_URL_ANNOTATION] ?? '';
    expect(url).not.toBe('');
    expect(url).not.toBe(previousUrl);
    expect((await fetch(`${url}/v2/`)).status).toBe(401);
  }, 60_000, 250);
  return url;
}

const deploymentGeneration = async (registry: string): Promise<number> =>
  (await env.user.requestJson<V1Deployment>('GET', objectPath(RESOURCES.deployment, ns, registryChildNames(registry).deployment))).metadata?.generation ?? 0;

const getPolicy = (name: string): Promise<PolicyView> => env.user.requestJson<PolicyView>('GET', objectPath(RESOURCES.retentionPolicy, ns, name));
const condition = (p: PolicyView, type: string) => p.status?.conditions?.find((c) => c.type === type);

async function requestRun(name: string, value: string): Promise<void> {
  await env.user.requestJson('PATCH', objectPath(RESOURCES.retentionPolicy, ns, name), {
    body: { metadata: { annotations: { [RUN_NOW_ANNOTATION]: value } } },
    contentType: 'application/merge-patch+json',
  });
}

async function waitForHandledRun(name: string, value: string, timeoutMs = 60_000): Promise<PolicyView> {
  let policy: PolicyView | undefined;
  await eventually(async () => {
    policy = await getPolicy(name);
    expect(policy.status?.handledRunNow, JSON.stringify(policy.status)).toBe(value);
  }, timeoutMs, 200);
  return policy as PolicyView;
}

function policy(name: string, registry: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'dockmaster.dev/v1alpha1',
    kind: 'RetentionPolicy',
    metadata: { name, annotations: { [RUN_NOW_ANNOTATION]: '1' } },
    spec: { registryRef: { name: registry }, repositories: ['app/**'], keep: [{ tags: ['v*'], mostRecent: 2 }], ...extra },
  };
}

async function tagsOf(client: RegistryV2Client, repository: string): Promise<string[]> {
  return (await client.listTags(repository)).sort();
}

describe('RetentionPolicy controller on a managed Registry without auth', () => {
  const digests: Record<string, string> = {};
  let url = '';
  let client: RegistryV2Client;

  beforeAll(async () => {
    await env.apply({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name: 'open' }, spec: { storage: { emptyDir: {} } } } as never);
    url = await localUrl('open');
    client = new RegistryV2Client({ url, allowPlainHttp: true });
    for (let i = 0; i < 4; i++) {
      const image = await pushImage(url, 'app/web', { tags: [`v1.${i}.0`], created: day(i + 1), seed: `web-${ns}-${i}` });
      digests[`web-${i}`] = image.digest;
      await pushSignature(url, 'app/web', image.digest, 'sig');
    }
    for (let i = 0; i < 3; i++) {
      const index = await pushIndex(url, 'app/tools', { tags: [`v0.${i}.0`], platforms: TWO_PLATFORMS, created: day(i + 1), seed: `tools-${ns}-${i}` });
      digests[`tools-${i}`] = index.digest;
      index.children.forEach((child, c) => (digests[`tools-${i}-child-${c}`] = child.digest));
    }
  }, 120_000);
  afterAll(async () => client?.close());

  it('runs on run-now: deletes what no rule keeps, keeps every platform of kept indexes and the signatures of kept digests', async () => {
    await env.apply(policy('web', 'open') as never);
    const done = await waitForHandledRun('web', '1');
    expect(done.status?.lastRun).toMatchObject({ result: 'Succeeded', trigger: 'RunNow', repositories: 2, digestsDeleted: 2 + 2 + 1 + 2, errors: 0 });
    expect(condition(done, 'Running')).toMatchObject({ status: 'False', reason: 'Idle' });
    expect(condition(done, 'Ready')).toMatchObject({ status: 'True', reason: 'Configured' });
    expect(done.status?.observedGeneration).toBe(done.metadata.generation);
    expect(done.status?.nextRun).toBeUndefined();

    expect(await tagsOf(client, 'app/web')).toEqual(['v1.2.0', 'v1.3.0', attachedTag(digests['web-2']!, 'sig'), attachedTag(digests['web-3']!, 'sig')].sort());
    await expect(client.headManifest('app/web', digests['web-0']!)).rejects.toThrow();
    expect(await tagsOf(client, 'app/tools')).toEqual(['v0.1.0', 'v0.2.0']);
    for (const i of [1, 2]) {
      for (const c of [0, 1]) expect((await client.headManifest('app/tools', digests[`tools-${i}-child-${c}`]!)).digest).toBe(digests[`tools-${i}-child-${c}`]);
    }
    await expect(client.headManifest('app/tools', digests['tools-0-child-0']!)).rejects.toThrow();

    const events = await env.user.requestJson<CoreV1EventList>('GET', `/api/v1/namespaces/${ns}/events`);
    expect(events.items.map((e) => e.reason)).toContain('RetentionRunSucceeded');
    const metrics = await env.metrics.registry.metrics();
    expect(metrics).toMatch(new RegExp(`dockmaster_retention_digests_deleted_total\\{policy="${ns}/web"\\} 7`));
  }, 120_000);

  it('never runs twice for one run-now value; a new value runs again and converges (nothing left to delete)', async () => {
    const before = await getPolicy('web');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await getPolicy('web')).status?.lastRun?.startTime).toBe(before.status?.lastRun?.startTime);
    await requestRun('web', '2');
    const again = await waitForHandledRun('web', '2');
    expect(again.status?.lastRun).toMatchObject({ result: 'Succeeded', digestsDeleted: 0 });
  }, 60_000);

  it('waits while the Registry is in a garbage-collection window and runs once the window is Idle', async () => {
    const extra = await pushImage(url, 'app/web', { tags: ['v1.4.0'], created: day(10), seed: `web-${ns}-4` });
    await env.patchStatus(RESOURCES.registry, 'open', { garbageCollectionWindow: { phase: 'Collecting' } });
    await requestRun('web', '3');
    await eventually(async () => {
      const p = await getPolicy('web');
      expect(condition(p, 'Running')).toMatchObject({ status: 'False', reason: 'WaitingForGarbageCollection' });
      expect(condition(p, 'Running')?.message).toContain('garbage-collection window to end');
    }, 30_000, 200);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await getPolicy('web')).status?.handledRunNow).toBe('2');
    expect(await tagsOf(client, 'app/web')).toContain('v1.2.0');

    await env.patchStatus(RESOURCES.registry, 'open', { garbageCollectionWindow: { phase: 'Idle' } });
    const done = await waitForHandledRun('web', '3');
    expect(done.status?.lastRun).toMatchObject({ result: 'Succeeded', digestsDeleted: 2 });
    expect(await tagsOf(client, 'app/web')).toEqual(['v1.3.0', 'v1.4.0', attachedTag(digests['web-3']!, 'sig')].sort());
    expect((await client.headManifest('app/web', 'v1.4.0')).digest).toBe(extra.digest);
  }, 90_000);

  it('clears a Running=True left by a dead operator (a run is not resumable)', async () => {
    const stale = { type: 'Running', status: 'True', reason: 'RunInProgress', message: 'left by a dead process', lastTransitionTime: new Date().toISOString() };
    // The previous run's follow-up reconcile may still be writing (a merge patch of conditions
    // replaces the list): wait until the object has been still for 2 s, as a dead operator's is.
    let lastVersion = '';
    let stillSince = Date.now();
    await eventually(async () => {
      const version = (await getPolicy('web')).metadata?.resourceVersion ?? '';
      if (version !== lastVersion) [lastVersion, stillSince] = [version, Date.now()];
      expect(Date.now() - stillSince).toBeGreaterThanOrEqual(2_000);
    }, 30_000, 250);
    await env.patchStatus(RESOURCES.retentionPolicy, 'web', { conditions: [stale] });
    await eventually(async () => {
      const p = await getPolicy('web');
      expect(condition(p, 'Running')).toMatchObject({ status: 'False', reason: 'RunInterrupted' });
      expect(condition(p, 'Ready')).toMatchObject({ status: 'True' });
    }, 30_000, 200);
    expect((await getPolicy('web')).status?.handledRunNow).toBe('3');
  }, 60_000);

  it('runs on its schedule, records nextRun, and stops when suspended', async () => {
    await env.apply(policy('nightly', 'open', { schedule: '*/2 * * * * *', keep: [{ tags: ['*'] }] }) as never);
    await env.user.requestJson('PATCH', objectPath(RESOURCES.retentionPolicy, ns, 'nightly'), {
      body: { metadata: { annotations: { [RUN_NOW_ANNOTATION]: null } } },
      contentType: 'application/merge-patch+json',
    });
    let first: PolicyView | undefined;
    await eventually(async () => {
      first = await getPolicy('nightly');
      expect(first.status?.lastRun).toMatchObject({ trigger: 'Schedule', result: 'Succeeded', digestsDeleted: 0 });
      expect(Date.parse(first.status?.nextRun ?? '')).toBeGreaterThan(Date.parse(first.status?.lastRun?.startTime ?? ''));
    }, 30_000, 200);
    await eventually(async () => {
      expect((await getPolicy('nightly')).status?.lastRun?.startTime).not.toBe(first?.status?.lastRun?.startTime);
    }, 30_000, 200);
    // A patch of spec.suspend alone: re-applying policy() would bring its run-now annotation back,
    // and a run-now runs even when suspended (it may be queued for a slot when this looks).
    await env.user.requestJson('PATCH', objectPath(RESOURCES.retentionPolicy, ns, 'nightly'), { body: { spec: { suspend: true } }, contentType: 'application/merge-patch+json' });
    let suspended: PolicyView | undefined;
    await eventually(async () => {
      suspended = await getPolicy('nightly');
      expect(suspended.status?.nextRun).toBeUndefined();
      expect(suspended.status?.observedGeneration).toBe(suspended.metadata.generation);
    }, 30_000, 200);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await getPolicy('nightly')).status?.lastRun?.startTime).toBe(suspended?.status?.lastRun?.startTime);
  }, 90_000);
});

describe('RetentionPolicy controller on a managed Registry with htpasswd auth', () => {
  it('reports a Secret without login keys, then dry-runs with them: planSummary filled, nothing deleted', async () => {
    const secret = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'locked-users' }, type: 'Opaque', stringData: data });
    await env.apply(secret({ htpasswd: HTPASSWD }) as never);
    await env.apply({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name: 'locked' }, spec: { storage: { emptyDir: {} }, auth: { htpasswdSecret: 'locked-users' } } } as never);
    await env.apply(policy('audit', 'locked', { dryRun: true, keep: [{ tags: ['v*'], mostRecent: 1 }] }) as never);
    await eventually(async () => {
      const p = await getPolicy('audit');
      expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'SecretKeyMissing' });
      expect(condition(p, 'Ready')?.message).toContain('Secret locked-users has no key username');
      expect(p.status?.lastRun).toBeUndefined();
    }, 30_000, 200);

    // The policy reads the Secret again: the pending run-now runs (the registry is still empty).
    const before = await localUrl('locked');
    const generation = await deploymentGeneration('locked');
    await env.apply(secret({ htpasswd: HTPASSWD, ...USER }) as never);
    await waitForHandledRun('audit', '1');
    const url = await waitForRollout('locked', generation, before);
    const client = new RegistryV2Client({ url, allowPlainHttp: true, credentials: USER });
    try {
      for (let i = 0; i < 3; i++) await pushImage(url, 'app/api', { tags: [`v2.${i}.0`], created: day(i + 1), seed: `api-${ns}-${i}`, auth: USER });
      await requestRun('audit', '2');
      const done = await waitForHandledRun('audit', '2');
      expect(condition(done, 'Ready')).toMatchObject({ status: 'True' });
      expect(done.status?.lastRun).toMatchObject({ result: 'DryRun', digestsDeleted: 2, tagsDeleted: 2, tagsEvaluated: 3 });
      expect(done.status?.planSummary).toMatchObject({ deleteDigests: 2, kept: 1, omittedDeletions: 0 });
      expect(done.status?.planSummary?.deletions?.flatMap((d) => d.tags).sort()).toEqual(['v2.0.0', 'v2.1.0']);
      expect(await tagsOf(client, 'app/api')).toEqual(['v2.0.0', 'v2.1.0', 'v2.2.0']);

      // The same registry as an external one: credentials from a kubernetes.io/dockerconfigjson Secret.
      const auths = { auths: { [new URL(url).host]: { auth: Buffer.from(`${USER.username}:${USER.password}`).toString('base64') } } };
      await env.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pull' }, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': JSON.stringify(auths) } } as never);
      await env.apply({
        ...policy('external', 'unused', { dryRun: true, keep: [{ tags: ['v*'], mostRecent: 2 }] }),
        spec: { external: { url, credentialsSecret: 'pull' }, dryRun: true, repositories: ['app/**'], keep: [{ tags: ['v*'], mostRecent: 2 }] },
      } as never);
      const external = await waitForHandledRun('external', '1');
      expect(external.status?.lastRun).toMatchObject({ result: 'DryRun', tagsEvaluated: 3, digestsDeleted: 1, errors: 0 });
    } finally {
      await client.close();
    }
  }, 180_000);
});

describe('RetentionPolicy controller on a registry:3.1.2 Registry (the stand-in runs the 3.1.2 build)', () => {
  it('untags a tag that shares its digest with a kept tag instead of keeping it, says so in status, and the kept image still pulls', async () => {
    await env.apply({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name: 'three' }, spec: { image: 'registry:3.1.2', storage: { emptyDir: {} } } } as never);
    const url = await localUrl('three');
    const client = new RegistryV2Client({ url, allowPlainHttp: true });
    try {
      const images = [];
      for (let i = 0; i < 3; i++) images.push(await pushImage(url, 'app/web', { tags: [`v1.${i}.0`, ...(i === 2 ? ['candidate'] : [])], created: day(i + 1), seed: `three-${ns}-${i}` }));
      await env.apply(policy('three', 'three') as never);
      const done = await waitForHandledRun('three', '1');
      expect(done.status?.lastRun).toMatchObject({ result: 'Succeeded', digestsDeleted: 1, tagsDeleted: 1, tagsUntagged: 1, errors: 0 });
      expect(done.status?.lastRun?.message).toMatch(/untagged 1 tag \(manifests kept\)/);
      expect(await tagsOf(client, 'app/web')).toEqual(['v1.1.0', 'v1.2.0']);
      expect((await client.headManifest('app/web', 'v1.2.0')).digest).toBe(images[2]!.digest);
      await client.getBlob('app/web', images[2]!.layerDigests[0]!);
      await expect(client.headManifest('app/web', images[0]!.digest)).rejects.toThrow();
    } finally {
      await client.close();
    }
  }, 120_000);
});

describe('RetentionPolicy controller: in-use protection (spec.inUse: Keep, the default)', () => {
  it('keeps what a Pod in the namespace and a Deployment in another one name (by tag and by digest), says so, and deletes them once nothing runs them', async () => {
    await env.apply({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name: 'used' }, spec: { storage: { emptyDir: {} } } } as never);
    const url = await localUrl('used');
    const client = new RegistryV2Client({ url, allowPlainHttp: true });
    const other = uniqueNamespaceName('in-use-other');
    const host = `${registryChildNames('used').service}.${ns}.svc:5000`;
    try {
      const images = [];
      for (let i = 0; i < 3; i++) images.push(await pushImage(url, 'app/web', { tags: [`v1.${i}.0`], created: day(i + 1), seed: `used-${ns}-${i}` }));
      // Neither runs here (no scheduler): existing is what counts.
      await env.user.requestJson('POST', `/api/v1/namespaces/${ns}/pods`, {
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-pod' }, spec: { containers: [{ name: 'web', image: `${host}/app/web:v1.0.0` }] } },
      });
      await env.user.requestJson('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: other } } });
      const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'x', image: `${host}/app/web@${images[1]!.digest}` }] } };
      await env.user.requestJson('POST', `/apis/apps/v1/namespaces/${other}/deployments`, {
        body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'secret-name' }, spec: { replicas: 0, selector: { matchLabels: { app: 'x' } }, template } },
      });

      await env.apply({ ...policy('used', 'used'), spec: { ...policy('used', 'used').spec, keep: [{ tags: ['v*'], mostRecent: 1 }] } } as never);
      const first = await waitForHandledRun('used', '1');
      expect(first.status?.lastRun, first.status?.lastRun?.message).toMatchObject({ result: 'Succeeded', digestsDeleted: 0, tagsKeptInUse: 2 });
      expect(first.status?.lastRun?.message).toMatch(/Kept 2 tags only because the cluster runs them/);
      expect(await tagsOf(client, 'app/web')).toEqual(['v1.0.0', 'v1.1.0', 'v1.2.0']);

      // A dry run's plan names the Pod in the policy's namespace, never the other namespace's Deployment.
      await env.user.requestJson('PATCH', objectPath(RESOURCES.retentionPolicy, ns, 'used'), {
        body: { spec: { dryRun: true }, metadata: { annotations: { [RUN_NOW_ANNOTATION]: '2' } } },
        contentType: 'application/merge-patch+json',
      });
      const dry = await waitForHandledRun('used', '2');
      expect(dry.status?.planSummary).toMatchObject({ deleteDigests: 0, keptInUse: 2 });

      await env.user.requestJson('DELETE', `/api/v1/namespaces/${ns}/pods/web-pod?gracePeriodSeconds=0`);
      await env.user.requestJson('DELETE', `/apis/apps/v1/namespaces/${other}/deployments/secret-name`);
      await env.user.requestJson('PATCH', objectPath(RESOURCES.retentionPolicy, ns, 'used'), {
        body: { spec: { dryRun: false }, metadata: { annotations: { [RUN_NOW_ANNOTATION]: '3' } } },
        contentType: 'application/merge-patch+json',
      });
      const last = await waitForHandledRun('used', '3');
      expect(last.status?.lastRun).toMatchObject({ result: 'Succeeded', digestsDeleted: 2, tagsKeptInUse: 0 });
      expect(await tagsOf(client, 'app/web')).toEqual(['v1.2.0']);
    } finally {
      await client.close();
    }
  }, 120_000);
});
