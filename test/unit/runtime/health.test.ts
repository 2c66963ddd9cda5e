import { describe, expect, it } from 'vitest';
import { buildHealthServer } from '../../../src/runtime/health.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';

describe('buildHealthServer', () => {
  it('reports readiness from the caches and serves metrics', async () => {
    let ready = false;
    const metrics = new RuntimeMetrics();
    metrics.observeReconcile('registry', 'success', 0.01);
    const app = buildHealthServer({ metrics, isReady: () => ready });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const notReady = await app.inject({ url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.body).toBe('caches not synced');
    ready = true;
    expect((await app.inject({ url: '/readyz' })).body).toBe('ok');
    const scraped = await app.inject({ url: '/metrics' });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.headers['content-type']).toContain('text/plain');
    expect(scraped.body).toContain('dockmaster_reconcile_total{controller="registry",result="success"} 1');
    await app.close();
  });

  it('reports liveness failures', async () => {
    const app = buildHealthServer({ metrics: new RuntimeMetrics(), isReady: () => true, isAlive: () => false });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(503);
    await app.close();
  });
});
