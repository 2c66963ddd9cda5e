import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { apiErrorDetail, apiErrorStatus, createKubeClients, KubeApiError, type ApiRequestRecord } from '../../../src/runtime/kube-client.js';
import { createKubeTransport } from '../../../src/runtime/kube-transport.js';

/** A plain-HTTP stand-in apiserver; client-node admits http:// only with insecure-skip-tls-verify. */
async function apiserver(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ kc: KubeConfig; server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer(handler);
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token', impersonateUser: 'jane' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  servers.push(server);
  return { kc, server, connections: () => connections };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('the apiserver transport', () => {
  it('sends JSON with the kubeconfig\'s credentials, counts each request, and keeps one connection alive', async () => {
    const seen: Array<{ method?: string; url?: string; auth?: string; impersonate?: string; type?: string; body: string }> = [];
    const { kc, connections } = await apiserver((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, impersonate: req.headers['impersonate-user'] as string, type: req.headers['content-type'], body });
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'a' } }));
      });
    });
    const records: ApiRequestRecord[] = [];
    const kube = createKubeClients(kc, (record) => records.push(record));
    expect(await kube.requestJson('GET', '/api/v1/namespaces/ns/configmaps/a', { query: { labelSelector: 'a=b,c in (d)', limit: undefined } })).toEqual({ kind: 'ConfigMap', metadata: { name: 'a' } });
    await kube.requestJson('PATCH', '/api/v1/namespaces/ns/configmaps/a', { body: { data: { k: 'v' } }, contentType: 'application/apply-patch+yaml', query: { fieldManager: 'dockmaster' } });
    await kube.requestJson('POST', '/api/v1/namespaces/ns/configmaps', { body: { metadata: { name: 'b' } } });
    expect(seen.map((s) => [s.method, s.url])).toEqual([
      ['GET', '/api/v1/namespaces/ns/configmaps/a?labelSelector=a%3Db%2Cc+in+%28d%29'],
      ['PATCH', '/api/v1/namespaces/ns/configmaps/a?fieldManager=dockmaster'],
      ['POST', '/api/v1/namespaces/ns/configmaps'],
    ]);
    expect(seen.every((s) => s.auth === 'Bearer secret-token' && s.impersonate === 'jane')).toBe(true);
    expect(seen[1]).toMatchObject({ type: 'application/apply-patch+yaml', body: '{"data":{"k":"v"}}' });
    expect(records).toEqual([
      { verb: 'get', resource: 'configmaps', code: '200' },
      { verb: 'patch', resource: 'configmaps', code: '200' },
      { verb: 'create', resource: 'configmaps', code: '201' },
    ]);
    expect(connections()).toBe(1);
  });

  it('throws the apiserver\'s Status as a KubeApiError that names the request, and reads text bodies for logs', async () => {
    const { kc } = await apiserver((req, res) => {
      if (req.url?.startsWith('/api/v1/namespaces/ns/pods/p/log')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`line one\nline two ${req.url.split('?')[1]}\n`);
        return;
      }
      if (req.url === '/proxy') {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html>bad gateway</html>');
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound', message: 'configmaps "gone" not found' }));
    });
    const kube = createKubeClients(kc);
    const error = await kube.requestJson('GET', '/api/v1/namespaces/ns/configmaps/gone').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect(apiErrorStatus(error)).toBe(404);
    expect(apiErrorDetail(error)).toBe('configmaps "gone" not found');
    expect((error as Error).message).toBe('GET /api/v1/namespaces/ns/configmaps/gone: HTTP 404: configmaps "gone" not found');
    expect(apiErrorDetail(await kube.requestJson('GET', '/proxy').catch((e: unknown) => e))).toBe('<html>bad gateway</html>');
    expect(await kube.requestText('/api/v1/namespaces/ns/pods/p/log', { query: { container: 'gc', tailLines: '400' } })).toBe('line one\nline two container=gc&tailLines=400\n');
  });

  it('sends through the kubeconfig\'s proxy-url: the kept-alive agent never replaces a proxy agent', async () => {
    const { kc: direct } = await apiserver((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"kind":"NamespaceList","items":[]}');
    });
    const server = direct.getCurrentCluster()!.server;
    // A forward proxy that tunnels CONNECT, as hpagent's agents ask of it.
    const tunnels: string[] = [];
    const proxy = createServer();
    proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client).pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    servers.push(proxy);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server, skipTLSVerify: true, proxyUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const kube = createKubeClients(kc);
    expect(await kube.requestJson('GET', '/api/v1/namespaces')).toEqual({ kind: 'NamespaceList', items: [] });
    expect(tunnels).toEqual([new URL(server).host]);
  });

  it('gives up on a request that hears nothing within its idle timeout', async () => {
    const { kc } = await apiserver(() => {
      // never answers
    });
    const transport = createKubeTransport(kc);
    await expect(transport.open({ method: 'GET', path: '/api/v1/namespaces' }, { idleTimeoutMs: 100 })).rejects.toMatchObject({ code: 'DM_ERR_KUBE_TIMEOUT', message: 'GET /api/v1/namespaces: no answer from the apiserver within 100 ms' });
  });
});

describe('watches over the transport', () => {
  it('delivers each event line once, across torn chunks, skips what is not an event, and ends when the server ends', async () => {
    const { kc } = await apiserver((req, res) => {
      expect(req.url).toBe('/api/v1/configmaps?resourceVersion=7&allowWatchBookmarks=true&timeoutSeconds=30&watch=true');
      res.writeHead(200, { 'content-type': 'application/json' });
      const first = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } });
      res.write(first.slice(0, 10));
      setTimeout(() => {
        res.write(`${first.slice(10)}\n{torn garbage\n\n${JSON.stringify({ object: {} })}\n`);
        res.end(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } })}\n`);
      }, 20);
    });
    const records: ApiRequestRecord[] = [];
    const kube = createKubeClients(kc, (record) => records.push(record));
    const events: Array<{ type: string; object: unknown }> = [];
    const done = new Promise<unknown>((resolve) => void kube.watch('/api/v1/configmaps', { resourceVersion: '7', allowWatchBookmarks: true, timeoutSeconds: 30, labelSelector: undefined }, (e) => events.push(e), resolve));
    expect(await done).toBeUndefined();
    expect(events).toEqual([
      { type: 'ADDED', object: { metadata: { name: 'a' } } },
      { type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } },
    ]);
    expect(records).toEqual([{ verb: 'watch', resource: 'configmaps', code: '200' }]);
  });

  it('ends with the KubeApiError of a refused watch (410 Gone), and stop() ends a running one without an error', async () => {
    let refuse = true;
    const { kc } = await apiserver((_req, res) => {
      if (refuse) {
        res.writeHead(410, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: {} })}\n`);
    });
    const kube = createKubeClients(kc);
    const refused = await new Promise<unknown>((resolve) => void kube.watch('/api/v1/pods', {}, () => undefined, resolve));
    expect(apiErrorStatus(refused)).toBe(410);
    refuse = false;
    const ends: unknown[] = [];
    let added!: () => void;
    const firstEvent = new Promise<void>((resolve) => (added = resolve));
    const watch = await kube.watch('/api/v1/pods', {}, () => added(), (err) => ends.push(err));
    await firstEvent;
    watch.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ends).toEqual([undefined]);
  });
});
