import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { PullTrackingMetrics } from '../../../src/pull-tracking/metrics.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { silentLogger } from '../../../src/logging/logger.js';
import { notificationEndpointsYaml } from '../../../src/managed-registry/notifications.js';
import { envelopeSchema, pullsOf } from '../../../src/pull-tracking/events.js';
import { PULL_CANARY_REPOSITORY } from '../../../src/managed-registry/pull-canary-image.js';
import { policyRepositoryScope } from '../../../src/retention/policy-scope.js';
import { PullCanary } from '../../../src/pull-tracking/canary.js';
import type { RegistryV2Client } from '../../../src/registry/client/v2-client.js';
import { RegistryApiError, REGISTRY_ERROR_CODES } from '../../../src/registry/client/errors.js';
import { MAX_SILENCE_MS, mergePulls, parseRecordsDocument, toPullRecords } from '../../../src/pull-tracking/records.js';
import { registerPullReceiver } from '../../../src/pull-tracking/receiver.js';
import { PullRecordStore } from '../../../src/pull-tracking/store.js';
import type { KubeClients } from '../../../src/runtime/kube-client.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const event = (over: Record<string, unknown> = {}) => ({
  action: 'pull',
  timestamp: new Date(T0).toISOString(),
  target: { repository: 'app/web', digest: D1, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
  request: { useragent: 'containerd/2.0' },
  source: { instanceID: 'i-1' },
  ...over,
});

describe('pull events', () => {
  it('counts manifest pulls by others; pushes, dockmaster\'s own requests and bad digests are ignored', () => {
    const batch = pullsOf(envelopeSchema.parse({ events: [event(), event({ action: 'push' }), event({ request: { useragent: 'dockmaster/0.2.0' } }), event({ target: { repository: 'x', digest: 'sha256:zz' } })] }));
    expect(batch).toEqual({ pulls: [{ repository: 'app/web', digest: D1, atMs: T0 }], instances: ['i-1'], ignored: 3, canaries: [] });
  });

  it('the canary\'s pulls prove the path and are never pulls; a malformed nonce proves nothing', () => {
    const canary = (useragent: string, action = 'pull') => event({ action, request: { useragent }, target: { repository: PULL_CANARY_REPOSITORY, digest: D2 } });
    const batch = pullsOf(envelopeSchema.parse({ events: [canary('dockmaster-canary/abcdefgh1234'), canary('dockmaster-canary/x'), canary('dockmaster-canary/abcdefgh5678', 'push')] }));
    expect(batch).toEqual({ pulls: [], instances: ['i-1'], ignored: 3, canaries: ['abcdefgh1234'] });
  });

  it('the endpoint list sends pulls only, with the token in a header, to the Registry\'s own path', () => {
    const [endpoint] = parse(notificationEndpointsYaml('http://op.svc:8080/', 'team', 'main', 'tok')) as Array<Record<string, unknown>>;
    expect(endpoint).toMatchObject({ url: 'http://op.svc:8080/pulls/team/main', headers: { Authorization: ['Bearer tok'] }, ignore: { actions: ['push', 'delete', 'mount'] }, ignoredmediatypes: ['application/octet-stream'] });
  });
});

describe('pull records', () => {
  const empty = parseRecordsDocument(undefined, T0);
  const batch = (pulls: Array<[string, number]>, instances = ['i-1'], ignored = 0) => ({ pulls: pulls.map(([digest, atMs]) => ({ repository: 'app/web', digest, atMs })), instances, ignored });

  it('keep the latest pull per digest; coverage starts with the records', () => {
    const doc = mergePulls(mergePulls(empty, batch([[D1, T0 + 5]]), T0 + 10, 100), batch([[D1, T0 + 2], [D2, T0 + 7]]), T0 + 20, 100);
    expect(doc.pulls).toEqual({ 'app/web': { [D1]: new Date(T0 + 5).toISOString(), [D2]: new Date(T0 + 7).toISOString() } });
    expect(doc.coveredSince).toBe(new Date(T0).toISOString());
    expect(toPullRecords(doc, T0 + 30).byRepository.get('app/web')?.get(D1)).toBe(T0 + 5);
  });

  it('a new registry process moves coverage to now (its predecessor\'s queue may be lost); the first one does not', () => {
    const first = mergePulls(empty, batch([[D1, T0 + 1]], ['i-1']), T0 + 10, 100);
    expect(first.coveredSince).toBe(empty.coveredSince);
    const restarted = mergePulls(first, batch([], ['i-2'], 1), T0 + 50, 100);
    expect(restarted.coveredSince).toBe(new Date(T0 + 50).toISOString());
  });

  it('at the bound the oldest go, and coverage moves past the newest dropped pull', () => {
    const doc = mergePulls(empty, batch([[D1, T0 + 1], [D2, T0 + 9]]), T0 + 10, 1);
    expect(Object.keys(doc.pulls['app/web'] ?? {})).toEqual([D2]);
    expect(doc.coveredSince).toBe(new Date(T0 + 1).toISOString());
  });

  it('remember the last canary nonces, bounded', () => {
    const nonces = Array.from({ length: 70 }, (_, i) => `nonce-${String(i).padStart(4, '0')}`);
    const doc = mergePulls(empty, { ...batch([]), ignored: 70, canaries: nonces }, T0 + 10, 100);
    expect(doc.canaries).toEqual(nonces.slice(-64));
  });

  it('events after a silence longer than the bound move coverage to their arrival (what the silence hid is unknown)', () => {
    const heard = mergePulls(empty, batch([[D1, T0 + 1]]), T0 + 10, 100);
    expect(mergePulls(heard, batch([[D2, T0 + 20]]), T0 + 20, 100).coveredSince).toBe(empty.coveredSince);
    const after = T0 + 10 + MAX_SILENCE_MS + 1;
    expect(mergePulls(heard, batch([[D2, after]]), after, 100).coveredSince).toBe(new Date(after).toISOString());
  });

  it('silent too long, or never heard from: no coverage (pull rules keep everything)', () => {
    const doc = mergePulls(empty, batch([[D1, T0 + 1]]), T0 + 10, 100);
    expect(toPullRecords(doc, T0 + 20).coveredSinceMs).toBe(T0);
    expect(toPullRecords(doc, T0 + 10 + MAX_SILENCE_MS + 1).coveredSinceMs).toBe(T0 + 10 + MAX_SILENCE_MS + 1);
    expect(toPullRecords(empty, T0 + 5).coveredSinceMs).toBe(T0 + 5);
    expect(parseRecordsDocument('{not json', T0 + 3).coveredSince).toBe(new Date(T0 + 3).toISOString());
  });
});

describe('the pull record store', () => {
  it('holds at most maxRecordsPerRegistry distinct pulls between flushes; one that does not fit moves coverage past it', async () => {
    let written: string | undefined;
    const live = { metadata: { name: 'main-registry-pulls', resourceVersion: '1' }, data: { 'pulls.json': JSON.stringify({ coveredSince: new Date(T0).toISOString(), instances: ['i-1'], pulls: {} }) } };
    const kube = {
      requestJson: async (method: string, _path: string, options: { body?: { data: Record<string, string> } } = {}) => {
        if (method === 'GET') return live;
        written = options.body?.data['pulls.json'];
        return options.body;
      },
    } as unknown as KubeClients;
    const store = new PullRecordStore(kube, { maxRecordsPerRegistry: 100, log: silentLogger(), now: () => T0 + 1000 });
    const pull = (digest: string, atMs: number) => ({ repository: 'app/web', digest, atMs });
    // The same digest again only updates its time; 100 distinct ones fill the set; the 101st is dropped.
    store.add('team', 'main', { pulls: [pull(D1, T0 + 1), pull(D1, T0 + 5)], instances: ['i-1'], ignored: 0 });
    const digests = Array.from({ length: 100 }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`);
    store.add('team', 'main', { pulls: digests.map((d) => pull(d, T0 + 2)), instances: [], ignored: 0 });
    await store.flush();
    const doc = JSON.parse(written ?? '{}') as { coveredSince: string; pulls: Record<string, Record<string, string>> };
    expect(Object.keys(doc.pulls['app/web'] ?? {})).toHaveLength(100);
    expect(doc.pulls['app/web']?.[D1]).toBe(new Date(T0 + 5).toISOString());
    expect(doc.coveredSince).toBe(new Date(T0 + 2).toISOString());
  });
});

describe('the pull receiver', () => {
  async function receiver(registryExists?: (namespace: string, name: string) => boolean) {
    let secretReads = 0;
    const kube = {
      requestJson: async (method: string, path: string) => {
        secretReads += 1;
        if (method === 'GET' && path === '/api/v1/namespaces/team/secrets/main-registry-http') return { data: { 'notifications-token': Buffer.from('right').toString('base64') } };
        throw Object.assign(new Error('not found'), { code: 404 });
      },
    } as unknown as KubeClients;
    const store = new PullRecordStore(kube, { maxRecordsPerRegistry: 100, log: silentLogger() });
    const app = Fastify();
    const metricsRegistry = new Registry();
    await registerPullReceiver(app, { kube, store, log: silentLogger(), metrics: new PullTrackingMetrics(metricsRegistry), ...(registryExists && { registryExists }) });
    const post = (path: string, token: string | undefined, body: unknown) =>
      app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', ...(token && { authorization: `Bearer ${token}` }) }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
    return { store, post, metrics: async () => metricsRegistry.metrics(), secretReads: () => secretReads };
  }

  it('records an authenticated envelope (202) and refuses a wrong or missing token (401), another Registry\'s path, or a malformed body (400), recording nothing', async () => {
    const { store, post, metrics } = await receiver();
    expect((await post('/pulls/team/main', 'wrong', { events: [event()] })).statusCode).toBe(401);
    expect((await post('/pulls/team/main', undefined, { events: [event()] })).statusCode).toBe(401);
    expect((await post('/pulls/team/other', 'right', { events: [event()] })).statusCode).toBe(401);
    const malformed = await post('/pulls/team/main', 'right', { events: [{ action: 'pull' }] });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: expect.stringMatching(/^not a distribution notification envelope: events\.0\.timestamp/) });
    expect((await post('/pulls/team/main', 'right', '{oops')).statusCode).toBe(400);
    expect(store.pendingRegistries).toBe(0);
    const ok = await post('/pulls/team/main', 'right', { events: [event()] });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toEqual({ recorded: 1, ignored: 0 });
    expect(store.pendingRegistries).toBe(1);
    const text = await metrics();
    expect(text).toContain('dockmaster_pull_envelopes_total{code="401"} 3');
    expect(text).toContain('dockmaster_pull_envelopes_total{code="400"} 2');
    expect(text).toContain('dockmaster_pull_envelopes_total{code="202"} 1');
    expect(text).toContain('dockmaster_pull_events_total{kind="pull"} 1');
  });

  it('answers 404 for a Registry the operator does not know, without reading any Secret', async () => {
    const { store, post, secretReads } = await receiver((namespace, name) => namespace === 'team' && name === 'main');
    for (let i = 0; i < 20; i++) expect((await post(`/pulls/team/made-up-${i}`, 'anything', { events: [event()] })).statusCode).toBe(404);
    expect(secretReads()).toBe(0);
    expect(store.pendingRegistries).toBe(0);
    expect((await post('/pulls/team/main', 'right', { events: [event()] })).statusCode).toBe(202);
    expect(secretReads()).toBe(1);
  });
});

describe('the pull canary', () => {
  /** A records ConfigMap in memory, the way writePullBatch reads and replaces it. */
  const fakeKube = (doc: Record<string, unknown>) => {
    const cm = { metadata: { name: 'main-registry-pulls', resourceVersion: '1' }, data: { 'pulls.json': JSON.stringify(doc) } };
    const kube = {
      requestJson: async (method: string, _path: string, options: { body?: { data: Record<string, string> } } = {}) => {
        if (method === 'GET') return cm;
        cm.data = options.body?.data as typeof cm.data;
        return cm;
      },
    } as unknown as KubeClients;
    return { kube, doc: () => JSON.parse(cm.data['pulls.json']) as { coveredSince: string; canaries: string[] } };
  };
  const target = { namespace: 'team', name: 'main', serviceUrl: 'http://svc:5000', replicaUrls: ['http://10.0.0.1:5000', 'http://10.0.0.2:5000'] };

  function canaryWith(options: { imageThere: boolean; now: () => number }) {
    const requests: Array<{ url: string; call: string; userAgent?: string }> = [];
    let pushed = false;
    const canary = new PullCanary({
      log: silentLogger(),
      maxRecordsPerRegistry: 100,
      now: options.now,
      clientFor: (url, _target, userAgent) =>
        ({
          headManifest: async () => {
            requests.push({ url, call: 'head', ...(userAgent && { userAgent }) });
            if (!options.imageThere && !pushed) throw new RegistryApiError({ code: REGISTRY_ERROR_CODES.notFound, method: 'HEAD', url, status: 404, message: 'not found' });
            return { digest: D1, mediaType: 'x', size: 1 };
          },
          uploadBlob: async () => {
            requests.push({ url, call: 'upload' });
            return D2;
          },
          putManifest: async () => {
            requests.push({ url, call: 'put' });
            pushed = true;
          },
          close: async () => undefined,
        }) as unknown as RegistryV2Client,
    });
    return { canary, requests };
  }

  it('pushes its image once when missing, then pulls from every pod with a nonce each, and waits for the next round', async () => {
    let now = T0;
    const { canary, requests } = canaryWith({ imageThere: false, now: () => now });
    const { kube } = fakeKube({ coveredSince: new Date(T0 - 3_600_000).toISOString(), canaries: [] });
    expect(await canary.step(target, kube)).toEqual({ state: 'sent', nonces: 2 });
    expect(requests.map((r) => `${r.call} ${r.url}`)).toEqual(['head http://svc:5000', 'upload http://svc:5000', 'put http://svc:5000', 'head http://10.0.0.1:5000', 'head http://10.0.0.2:5000']);
    const agents = requests.filter((r) => r.userAgent).map((r) => r.userAgent ?? '');
    expect(agents).toHaveLength(2);
    expect(new Set(agents).size).toBe(2);
    for (const agent of agents) expect(agent).toMatch(/^dockmaster-canary\/[A-Za-z0-9_-]{16}$/);
    now += 60_000;
    expect(await canary.step(target, kube)).toEqual({ state: 'waiting' });
  });

  it('keeps coverage when every nonce came back, and restarts it at the check when one did not', async () => {
    let now = T0;
    const { canary, requests } = canaryWith({ imageThere: true, now: () => now });
    const since = new Date(T0 - 3_600_000).toISOString();
    const records = fakeKube({ coveredSince: since, lastEvent: new Date(T0).toISOString(), canaries: [] });
    await canary.step(target, records.kube);
    const sent = requests.filter((r) => r.userAgent).map((r) => (r.userAgent ?? '').split('/')[1] ?? '');
    // Both came back as events: coverage stays, and the next round goes out.
    const arrived = fakeKube({ coveredSince: since, lastEvent: new Date(T0).toISOString(), canaries: sent });
    now += 5 * 60_000;
    expect(await canary.step(target, arrived.kube)).toEqual({ state: 'sent', nonces: 2 });
    expect(arrived.doc().coveredSince).toBe(since);
    // One of the next round's did not: pulls through that pod may be lost until now.
    const next = requests.filter((r) => r.userAgent).slice(-2).map((r) => (r.userAgent ?? '').split('/')[1] ?? '');
    const partly = fakeKube({ coveredSince: since, lastEvent: new Date(now).toISOString(), canaries: [next[0] ?? ''] });
    now += 5 * 60_000;
    expect(await canary.step(target, partly.kube)).toEqual({ state: 'lost', missing: 1, sent: 2 });
    expect(partly.doc().coveredSince).toBe(new Date(now).toISOString());
  });

  it('retention never selects the canary\'s repository, whatever the policy says', () => {
    const scope = policyRepositoryScope({ repositories: ['**'], excludeRepositories: [] });
    expect(scope(PULL_CANARY_REPOSITORY)).toBe(false);
    expect(scope('dockmaster/other')).toBe(true);
  });
});
