import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pushImage } from '../../../harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../../../harness/registry.js';
import { REGISTRY_ERROR_CODES, RegistryApiError, RegistryV2Client, type RegistryRequestEvent } from '../../../../src/registry/client/index.js';
import { startFlakyProxy, type FlakyProxy } from './flaky-proxy.js';

describe('retries and the concurrency limit (real registry behind a failure-injecting proxy)', () => {
  let registry: RunningRegistry;
  let proxy: FlakyProxy;
  let client: RegistryV2Client;
  const events: RegistryRequestEvent[] = [];

  beforeAll(async () => {
    registry = await startRegistry();
    await pushImage(registry, 'app', { tags: Array.from({ length: 20 }, (_, i) => `t${i}`), seed: 'retry' });
    proxy = await startFlakyProxy(registry.url);
    client = new RegistryV2Client({
      url: proxy.url,
      allowPlainHttp: true,
      retries: 3,
      retryBaseDelayMs: 20,
      retryMaxDelayMs: 2000,
      concurrency: 3,
      onRequest: (e) => events.push(e),
    });
  });
  afterAll(async () => {
    await client?.close();
    await proxy?.close();
    await registry?.stop();
  });
  beforeEach(() => {
    events.length = 0;
    proxy.resetCounters();
    proxy.setDelay(0);
  });

  it('retries 5xx answers and succeeds', async () => {
    proxy.failNext(2, 'status-503');
    expect((await client.listTags('app')).length).toBe(20);
    expect(events.map((e) => [e.status, e.attempt])).toEqual([
      [503, 1],
      [503, 2],
      [200, 3],
    ]);
  });

  it('retries dropped connections', async () => {
    proxy.failNext(2, 'reset');
    expect((await client.headManifest('app', 't1')).digest).toMatch(/^sha256:/);
    expect(events.map((e) => e.status)).toEqual([null, null, 200]);
  });

  it('honours Retry-After on 429', async () => {
    proxy.failNext(1, 'status-429', 1);
    const started = Date.now();
    await client.listTags('app');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(events.map((e) => e.status)).toEqual([429, 200]);
  });

  it('gives up after the bounded number of retries with the last status', async () => {
    proxy.failNext(10, 'status-503');
    const error = await client.listTags('app').then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryApiError);
    expect(error).toMatchObject({ code: REGISTRY_ERROR_CODES.api, status: 503 });
    expect(events).toHaveLength(4);
    proxy.failNext(0, 'status-503');
  });

  it('never has more requests in flight than the concurrency limit', async () => {
    proxy.setDelay(40);
    const tags = Array.from({ length: 20 }, (_, i) => `t${i}`);
    const heads = await Promise.all(tags.map((tag) => client.headManifest('app', tag)));
    expect(new Set(heads.map((h) => h.digest)).size).toBe(1);
    expect(proxy.received).toBe(20);
    expect(proxy.peakInFlight).toBe(3);
  });
});
