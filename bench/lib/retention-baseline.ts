/**
 * The retention benchmark's baseline: the minimal request set of a retention run issued with raw
 * undici at the same concurrency, with no planning logic, no validation and no retries. Listing:
 * catalog, one tags/list per repository, one HEAD per tag, one GET per distinct manifest (index
 * children included), one config GET per distinct config digest (none for signature manifests).
 * Apply adds, per repository with deletes: one tags/list, one HEAD per tag, one DELETE per digest.
 */
import { Agent, request } from 'undici';
import { inPool } from './registry-population.js';

const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');
const SIGNATURE_TAG = /^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/;

/** A counting semaphore around undici: at most `limit` requests in flight, like the client's. */
class LimitedHttp {
  requests = 0;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  readonly agent: Agent;

  constructor(
    private readonly base: string,
    private readonly limit: number,
  ) {
    this.agent = new Agent({ connections: limit, keepAliveTimeout: 30_000 });
  }

  async send(method: 'GET' | 'HEAD' | 'DELETE', path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      this.requests++;
      const answer = await request(`${this.base}${path}`, { dispatcher: this.agent, method, headers });
      const body = await answer.body.text();
      return { status: answer.statusCode, headers: answer.headers, body };
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

export interface BaselineResult {
  requests: number;
  durationMs: number;
}

async function crawlRepository(http: LimitedHttp, repository: string, configsFetched: Set<string>): Promise<void> {
  const tags = (JSON.parse((await http.send('GET', `/v2/${repository}/tags/list`)).body) as { tags: string[] | null }).tags ?? [];
  const digestOf = new Map<string, string>();
  await Promise.all(
    tags.map(async (tag) => {
      const head = await http.send('HEAD', `/v2/${repository}/manifests/${tag}`, { accept: ACCEPT });
      digestOf.set(tag, String(head.headers['docker-content-digest']));
    }),
  );
  const signatureDigests = new Set([...digestOf].filter(([tag]) => SIGNATURE_TAG.test(tag)).map(([, digest]) => digest));
  const visited = new Set<string>();
  const visit = async (digest: string, needsConfig: boolean): Promise<void> => {
    if (visited.has(digest)) return;
    visited.add(digest);
    const body = JSON.parse((await http.send('GET', `/v2/${repository}/manifests/${digest}`, { accept: ACCEPT })).body) as {
      manifests?: Array<{ digest: string }>;
      config?: { digest: string };
    };
    if (body.manifests) {
      await Promise.all(body.manifests.map((child) => visit(child.digest, needsConfig)));
    } else if (needsConfig && body.config && !configsFetched.has(body.config.digest)) {
      configsFetched.add(body.config.digest);
      await http.send('GET', `/v2/${repository}/blobs/${body.config.digest}`);
    }
  };
  await Promise.all([...new Set(digestOf.values())].map((digest) => visit(digest, !signatureDigests.has(digest))));
}

async function crawl(http: LimitedHttp): Promise<void> {
  const catalog = JSON.parse((await http.send('GET', '/v2/_catalog?n=1000')).body) as { repositories: string[] };
  const configsFetched = new Set<string>();
  await Promise.all(catalog.repositories.map((repository) => crawlRepository(http, repository, configsFetched)));
}

/** The listing requests of a plan. */
export async function baselinePlan(url: string, concurrency: number): Promise<BaselineResult> {
  const http = new LimitedHttp(url, concurrency);
  const started = performance.now();
  try {
    await crawl(http);
    return { requests: http.requests, durationMs: performance.now() - started };
  } finally {
    await http.agent.close();
  }
}

/** The listing, then per repository with deletes the re-check and the DELETEs of `deletes` (repository → digests, known in advance). */
export async function baselineApply(url: string, concurrency: number, deletes: ReadonlyMap<string, readonly string[]>): Promise<BaselineResult> {
  const http = new LimitedHttp(url, concurrency);
  const started = performance.now();
  try {
    await crawl(http);
    await inPool([...deletes], concurrency, async ([repository, digests]) => {
      const tags = (JSON.parse((await http.send('GET', `/v2/${repository}/tags/list`)).body) as { tags: string[] | null }).tags ?? [];
      await Promise.all(tags.map((tag) => http.send('HEAD', `/v2/${repository}/manifests/${tag}`, { accept: ACCEPT })));
      await Promise.all(digests.map((digest) => http.send('DELETE', `/v2/${repository}/manifests/${digest}`)));
    });
    return { requests: http.requests, durationMs: performance.now() - started };
  } finally {
    await http.agent.close();
  }
}
