/**
 * A small hostile registry on loopback: it answers the v2 API the way a broken or malicious server
 * might, one behaviour per mode, and counts every DELETE it receives. The retention engine must
 * stay bounded in memory and time against each, end Failed with the reason, and delete nothing.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type HostileMode =
  /** `_catalog` pages of 5,000 new names each, every page with a `rel="next"` Link. */
  | 'endless-catalog'
  /** One repository whose `tags/list` pages never end, beside a healthy one (`web`). */
  | 'endless-tags'
  /** One `tags/list` answer of 40 MB. */
  | 'huge-page'
  /** `tags/list` answered a byte at a time, one byte every 200 ms. */
  | 'trickle-body'
  /** Accepts the connection and never sends headers. */
  | 'slow-headers'
  /** A manifest's config blob redirects to itself for ever. */
  | 'redirect-loop'
  /** A manifest whose bytes do not hash to the digest the registry names. */
  | 'digest-lie'
  /** An index whose child is answered with the index itself. */
  | 'index-cycle';

export interface HostileRegistry {
  url: string;
  deletes(): number;
  requests(): number;
  close(): Promise<void>;
}

const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const digestOf = (body: string): string => `sha256:${createHash('sha256').update(body).digest('hex')}`;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * An index whose child is "itself": a content-addressed registry cannot really hold a cycle (a
 * digest would have to hash to itself), so a hostile one fakes it by answering the child's digest
 * with the index's own bytes. The client verifies every manifest against the digest it asked
 * for; the snapshot also refuses cycles outright, should verification ever let one through.
 */
function cyclicIndex(): { body: string; digest: string; child: string } {
  const child = `sha256:${'e'.repeat(64)}`;
  const body = JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [{ mediaType: INDEX, digest: child, size: 100 }] });
  return { body, digest: digestOf(body), child };
}

export async function startHostileRegistry(mode: HostileMode): Promise<HostileRegistry> {
  let deletes = 0;
  let requests = 0;
  let page = 0;
  const sockets = new Set<import('node:net').Socket>();
  const config = JSON.stringify({ created: '2020-01-01T00:00:00Z' });
  const image = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length }, layers: [] });
  const cycle = cyclicIndex();
  // Built before the client runs, so what a test measures is the client's memory, not the server's.
  const hugePage = mode === 'huge-page' ? Buffer.from(JSON.stringify({ name: 'app', tags: Array.from({ length: 1_000_000 }, (_, i) => `tag-${i}-${'x'.repeat(24)}`) })) : undefined;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'DELETE') {
      deletes++;
      res.writeHead(202).end();
      return;
    }
    if (url.pathname === '/v2/') return json(res, 200, {});
    if (mode === 'slow-headers') return; // never answers
    if (url.pathname === '/v2/_catalog') {
      if (mode === 'endless-tags') return json(res, 200, { repositories: ['app', 'web'] });
      if (mode !== 'endless-catalog') return json(res, 200, { repositories: ['app'] });
      page++;
      const names = Array.from({ length: 5000 }, (_, i) => `r${page}-${i}`);
      return json(res, 200, { repositories: names }, { link: `</v2/_catalog?n=5000&last=r${page}>; rel="next"` });
    }
    if (url.pathname === '/v2/app/tags/list') {
      if (mode === 'endless-tags') {
        page++;
        const tags = Array.from({ length: 5000 }, (_, i) => `t${page}-${i}`);
        return json(res, 200, { name: 'app', tags }, { link: `</v2/app/tags/list?n=5000&last=t${page}>; rel="next"` });
      }
      if (hugePage) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': hugePage.length });
        res.end(hugePage);
        return;
      }
      if (mode === 'trickle-body') {
        const body = JSON.stringify({ name: 'app', tags: ['v1'] });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        let i = 0;
        const timer = setInterval(() => {
          if (i >= body.length || res.destroyed) {
            clearInterval(timer);
            res.end();
            return;
          }
          res.write(body[i++]);
        }, 200);
        res.on('close', () => clearInterval(timer));
        return;
      }
      return json(res, 200, { name: 'app', tags: ['v1'] });
    }
    if (url.pathname === '/v2/web/tags/list') return json(res, 200, { name: 'web', tags: ['v1'] });
    const manifestPath = /^\/v2\/(app|web)\/manifests\/(.+)$/.exec(url.pathname);
    if (manifestPath) {
      const reference = manifestPath[2] ?? '';
      const answer = (body: string, mediaType: string, digest = digestOf(body)): void => {
        res.writeHead(200, { 'content-type': mediaType, 'docker-content-digest': digest, 'content-length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      if (mode === 'index-cycle') {
        if (reference === 'v1' || reference === cycle.digest) return answer(cycle.body, INDEX, cycle.digest);
        // The child: the index's own bytes under the child's digest.
        return answer(cycle.body, INDEX, cycle.child);
      }
      if (mode === 'digest-lie') return answer(image, MANIFEST, `sha256:${'d'.repeat(64)}`);
      return answer(image, MANIFEST);
    }
    if (/^\/v2\/(app|web)\/blobs\//.test(url.pathname)) {
      if (mode === 'redirect-loop') {
        res.writeHead(307, { location: url.pathname }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': config.length }).end(config);
      return;
    }
    json(res, 404, { errors: [{ code: 'NAME_UNKNOWN' }] });
  };

  const server: Server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    deletes: () => deletes,
    requests: () => requests,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
