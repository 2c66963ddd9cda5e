import { describe, expect, it } from 'vitest';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import { describeApiRequest } from '../../../src/runtime/kube-client.js';

describe('describeApiRequest', () => {
  const base = 'https://127.0.0.1:6443';
  it.each([
    ['GET', '/api/v1/namespaces/ns/configmaps/x', 'get', 'configmaps'],
    ['GET', '/api/v1/namespaces/ns/configmaps', 'list', 'configmaps'],
    ['GET', '/api/v1/configmaps?labelSelector=a%3Db', 'list', 'configmaps'],
    ['GET', '/api/v1/namespaces/ns/configmaps?watch=true&resourceVersion=5', 'watch', 'configmaps'],
    ['GET', '/api/v1/namespaces', 'list', 'namespaces'],
    ['GET', '/api/v1/namespaces/ns', 'get', 'namespaces'],
    ['POST', '/apis/apps/v1/namespaces/ns/deployments', 'create', 'deployments'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/ns/leases/op', 'update', 'leases'],
    ['PATCH', '/apis/dockmaster.dev/v1alpha1/namespaces/ns/registries/r/status', 'patch', 'registries/status'],
    ['DELETE', '/api/v1/namespaces/ns/persistentvolumeclaims/data', 'delete', 'persistentvolumeclaims'],
    ['DELETE', '/api/v1/namespaces/ns/pods', 'deletecollection', 'pods'],
    ['GET', '/apis/dockmaster.dev/v1alpha1', 'get', 'discovery'],
    ['GET', '/version', 'get', 'nonresource'],
  ])('%s %s → %s %s', (method, path, verb, resource) => {
    expect(describeApiRequest(method, base + path)).toEqual({ verb, resource });
  });
});

describe('RuntimeMetrics', () => {
  it('exposes the documented series on its own registry', async () => {
    const metrics = new RuntimeMetrics();
    metrics.observeReconcile('registry', 'success', 0.02);
    metrics.observeReconcile('registry', 'error', 0.5);
    metrics.trackQueueDepth('registry', () => 3);
    metrics.workqueueRetries.inc({ controller: 'registry' });
    metrics.observeApiRequest({ verb: 'list', resource: 'configmaps', code: '200' });
    const { body, contentType } = await metrics.render();
    expect(contentType).toContain('text/plain');
    expect(body).toContain('dockmaster_reconcile_total{controller="registry",result="success"} 1');
    expect(body).toContain('dockmaster_reconcile_total{controller="registry",result="error"} 1');
    expect(body).toContain('dockmaster_reconcile_duration_seconds_bucket{le="0.025",controller="registry"} 1');
    expect(body).toContain('dockmaster_workqueue_depth{controller="registry"} 3');
    expect(body).toContain('dockmaster_workqueue_retries_total{controller="registry"} 1');
    expect(body).toContain('dockmaster_kube_api_requests_total{verb="list",resource="configmaps",code="200"} 1');
  });

  it('counts writes separately from reads', () => {
    const metrics = new RuntimeMetrics();
    for (const verb of ['get', 'list', 'watch']) metrics.observeApiRequest({ verb, resource: 'x', code: '200' });
    expect(metrics.writeRequestCount()).toBe(0);
    for (const verb of ['create', 'update', 'patch', 'delete', 'deletecollection']) {
      metrics.observeApiRequest({ verb, resource: 'x', code: '200' });
    }
    expect(metrics.writeRequestCount()).toBe(5);
    expect(metrics.apiRequestCount()).toBe(8);
    metrics.observeApiRequest({ verb: 'update', resource: 'leases', code: '200' });
    expect(metrics.writeRequestCount()).toBe(6);
    expect(metrics.writeRequestCount({ excludeResources: ['leases'] })).toBe(5);
    expect(metrics.writeRequestsByResource()).toEqual({ x: 5, leases: 1 });
  });

  it('reads queue depth at scrape time', async () => {
    const metrics = new RuntimeMetrics();
    let depth = 4;
    metrics.trackQueueDepth('registry', () => depth);
    expect((await metrics.render()).body).toContain('dockmaster_workqueue_depth{controller="registry"} 4');
    depth = 0;
    expect((await metrics.render()).body).toContain('dockmaster_workqueue_depth{controller="registry"} 0');
  });

  it('two instances do not collide', () => {
    expect(() => [new RuntimeMetrics(), new RuntimeMetrics()]).not.toThrow();
  });
});
