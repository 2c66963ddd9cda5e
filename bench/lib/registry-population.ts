/**
 * Fills a real registry fast for the retention benchmark: per repository, a handful of blobs are
 * uploaded once (one layer, a few configs with different `created` dates) and every tag is a
 * manifest PUT that reuses them (an annotation makes each digest distinct). Mix per repository:
 * single-arch images, multi-arch indexes (two untagged children each), aliases sharing a digest,
 * and cosign-style signatures of some images. Requests go straight through undici, concurrently.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';

export interface PopulationSize {
  repositories: number;
  tagsPerRepository: number;
}

export interface PopulationFigures {
  manifests: number;
  tags: number;
  requests: number;
  durationMs: number;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const CONFIG_BUCKETS = 20;

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface Blob {
  digest: string;
  bytes: Buffer;
}

/** Runs `work` over `items` with at most `limit` at once. */
export async function inPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await work(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

class Pusher {
  requests = 0;
  constructor(
    private readonly base: string,
    private readonly agent: Agent,
  ) {}

  private async send(method: 'POST' | 'PUT', url: string, body: Buffer | null, headers: Record<string, string>, expected: number): Promise<string | undefined> {
    this.requests++;
    const answer = await request(url.startsWith('http') ? url : `${this.base}${url}`, { dispatcher: this.agent, method, body, headers });
    const text = await answer.body.text();
    if (answer.statusCode !== expected) throw new Error(`${method} ${url}: HTTP ${answer.statusCode} ${text}`);
    const location = answer.headers['location'];
    return typeof location === 'string' ? location : undefined;
  }

  async uploadBlob(repository: string, blob: Blob): Promise<void> {
    const location = await this.send('POST', `/v2/${repository}/blobs/uploads/`, null, {}, 202);
    const target = new URL(location ?? '', this.base);
    target.searchParams.set('digest', blob.digest);
    await this.send('PUT', target.toString(), blob.bytes, { 'content-type': 'application/octet-stream' }, 201);
  }

  async putManifest(repository: string, reference: string, mediaType: string, bytes: Buffer): Promise<void> {
    await this.send('PUT', `/v2/${repository}/manifests/${reference}`, bytes, { 'content-type': mediaType }, 201);
  }
}

function imageManifest(config: Blob, layer: Blob, annotation: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.bytes.length },
      layers: [{ mediaType: OCI_LAYER, digest: layer.digest, size: layer.bytes.length }],
      annotations: { 'bench.dockmaster.dev/n': annotation },
    }),
  );
}

/** Pushes `size` into the registry at `url`. Tags are v1.0.<n>, so a `v*` rule ranks them by config date. */
export async function populateRegistry(url: string, size: PopulationSize, concurrency = 16): Promise<PopulationFigures> {
  const started = performance.now();
  const agent = new Agent({ connections: concurrency });
  const pusher = new Pusher(url, agent);
  const layer: Blob = { bytes: randomBytes(512), digest: '' };
  layer.digest = sha256(layer.bytes);
  const configs: Blob[] = Array.from({ length: CONFIG_BUCKETS }, (_, i) => {
    const bytes = Buffer.from(JSON.stringify({ created: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(), architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } }));
    return { bytes, digest: sha256(bytes) };
  });
  let manifests = 0;
  let tags = 0;
  const repositories = Array.from({ length: size.repositories }, (_, r) => `bench/repo-${String(r).padStart(3, '0')}`);
  try {
    await inPool(repositories, Math.max(1, Math.floor(concurrency / 4)), async (repository) => {
      for (const blob of [layer, ...configs]) await pusher.uploadBlob(repository, blob);
      const jobs = Array.from({ length: size.tagsPerRepository }, (_, n) => n);
      await inPool(jobs, 4, async (n) => {
        const tag = `v1.0.${n}`;
        const config = configs[n % CONFIG_BUCKETS]!;
        if (n % 10 === 5) {
          // Multi-arch: two untagged children, then the index under the tag.
          const children = [0, 1].map((c) => imageManifest(config, layer, `${repository}/${n}/child-${c}`));
          for (const child of children) await pusher.putManifest(repository, sha256(child), OCI_MANIFEST, child);
          const index = Buffer.from(
            JSON.stringify({
              schemaVersion: 2,
              mediaType: OCI_INDEX,
              manifests: children.map((child, c) => ({ mediaType: OCI_MANIFEST, digest: sha256(child), size: child.length, platform: { os: 'linux', architecture: c === 0 ? 'amd64' : 'arm64' } })),
            }),
          );
          await pusher.putManifest(repository, tag, OCI_INDEX, index);
          manifests += 3;
        } else {
          const bytes = imageManifest(config, layer, `${repository}/${n}`);
          await pusher.putManifest(repository, tag, OCI_MANIFEST, bytes);
          manifests += 1;
          // Every 10th image also carries an alias tag (a shared digest) and a signature.
          if (n % 10 === 3) {
            await pusher.putManifest(repository, `alias-${n}`, OCI_MANIFEST, bytes);
            const signature = imageManifest(configs[0]!, layer, `signature of ${sha256(bytes)}`);
            await pusher.putManifest(repository, `${sha256(bytes).replace(':', '-')}.sig`, OCI_MANIFEST, signature);
            manifests += 1;
            tags += 2;
          }
        }
        tags += 1;
      });
    });
  } finally {
    await agent.close();
  }
  return { manifests, tags, requests: pusher.requests, durationMs: performance.now() - started };
}
