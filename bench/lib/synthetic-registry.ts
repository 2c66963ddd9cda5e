/**
 * A synthetic v2 registry for scale: R repositories × T tags computed on request, nothing stored
 * but the digest → (repository, tag) index, so a million tags cost no push. Every tag has its
 * own manifest and config (distinct digests, `created` one hour apart), which is the expensive
 * case for the engine: one HEAD, one manifest GET and one config GET per tag. Pagination follows
 * distribution 3.1.1+: `n` is clamped to 1000 and a `Link` header names the next page.
 * Run it in its own process (`node --import tsx bench/lib/synthetic-registry.ts R T`): it prints
 * its URL, then serves until killed.
 */
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';

const PAGE = 1000;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const CONFIG = 'application/vnd.oci.image.config.v1+json';
const LAYER = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'a'.repeat(64)}`, size: 32 };
const EPOCH = Date.UTC(2024, 0, 1);

const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const repoName = (r: number): string => `app/r${String(r).padStart(5, '0')}`;
const tagName = (i: number): string => `v1.${Math.floor(i / 1000)}.${i % 1000}`;

function image(r: number, i: number): { config: string; manifest: string } {
  const config = JSON.stringify({ created: new Date(EPOCH + (r * 1_000_000 + i) * 3_600_000 / 1000).toISOString(), architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, r, i });
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: CONFIG, digest: sha256(config), size: Buffer.byteLength(config) }, layers: [LAYER] });
  return { config, manifest };
}

export function startSyntheticRegistry(repositories: number, tagsPerRepository: number): Promise<{ url: string; stats: () => { requests: number; deletes: number } }> {
  const byDigest = new Map<string, { r: number; i: number; kind: 'manifest' | 'config' }>();
  let requests = 0;
  let deletes = 0;
  const json = (res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
  };
  const notFound = (res: ServerResponse): void => void res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
  const page = <T>(all: (k: number) => T, count: number, last: number, n: number): { items: T[]; next: number | undefined } => {
    const size = Math.min(n, PAGE);
    const items: T[] = [];
    for (let k = last + 1; k < count && items.length < size; k++) items.push(all(k));
    const end = last + items.length;
    return { items, next: end + 1 < count ? end : undefined };
  };
  const server = createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    const n = Number(url.searchParams.get('n') ?? PAGE);
    if (url.pathname === '/v2/') return json(res, {});
    if (url.pathname === '/v2/_catalog') {
      const last = url.searchParams.has('last') ? Number(url.searchParams.get('last')) : -1;
      const { items, next } = page(repoName, repositories, last, n);
      return json(res, { repositories: items }, next === undefined ? {} : { link: `</v2/_catalog?n=${n}&last=${next}>; rel="next"` });
    }
    const match = /^\/v2\/app\/r(\d+)\/(tags\/list|manifests\/(.+)|blobs\/(.+))$/.exec(url.pathname);
    const r = Number(match?.[1]);
    if (!match || !(r < repositories)) return notFound(res);
    if (match[2] === 'tags/list') {
      const last = url.searchParams.has('last') ? Number(url.searchParams.get('last')) : -1;
      const { items, next } = page(tagName, tagsPerRepository, last, n);
      return json(res, { name: repoName(r), tags: items }, next === undefined ? {} : { link: `</v2/${repoName(r)}/tags/list?n=${n}&last=${next}>; rel="next"` });
    }
    const reference = match[3] ?? match[4] ?? '';
    if (req.method === 'DELETE') {
      deletes++;
      return void res.writeHead(202).end();
    }
    let found: { r: number; i: number; kind: 'manifest' | 'config' } | undefined;
    const tag = /^v1\.(\d+)\.(\d+)$/.exec(reference);
    if (tag) {
      const i = Number(tag[1]) * 1000 + Number(tag[2]);
      if (i < tagsPerRepository) found = { r, i, kind: 'manifest' };
    } else {
      found = byDigest.get(reference);
    }
    if (!found || found.r !== r) return notFound(res);
    const built = image(found.r, found.i);
    const body = found.kind === 'manifest' ? built.manifest : built.config;
    const digest = sha256(body);
    if (found.kind === 'manifest') {
      byDigest.set(digest, { r, i: found.i, kind: 'manifest' });
      byDigest.set(sha256(built.config), { r, i: found.i, kind: 'config' });
    }
    res.writeHead(200, { 'content-type': found.kind === 'manifest' ? MANIFEST : CONFIG, 'docker-content-digest': digest, 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, stats: () => ({ requests, deletes }) });
    }),
  );
}

if (process.argv[1]?.endsWith('synthetic-registry.ts')) {
  const [repositories, tags] = process.argv.slice(2).map(Number);
  void startSyntheticRegistry(repositories ?? 10, tags ?? 100).then(({ url }) => process.stdout.write(`${url}\n`));
}
