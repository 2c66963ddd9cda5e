import { Agent, request } from 'node:https';
import type { ApiServerAccess } from '../../test/controlplane/apiserver-access.js';

/**
 * The bench's own apiserver client (admin): a bare HTTPS client with kept-alive connections, so
 * that 500 creates at once do not pay 500 TLS handshakes, and independent of the code under test.
 */

export class ApiStatusError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    body: string,
  ) {
    super(`${method} ${path} answered ${status}: ${body.slice(0, 300)}`);
  }
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; generation?: number; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string; finalizers?: string[]; resourceVersion?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

export class AdminClient {
  private readonly agent: Agent;

  constructor(private readonly access: ApiServerAccess, maxSockets = 32) {
    const tls = 'certPem' in access.credentials ? { cert: access.credentials.certPem, key: access.credentials.keyPem } : {};
    this.agent = new Agent({ keepAlive: true, maxSockets, ca: access.caPem, ...tls });
  }

  async request<T>(method: string, path: string, body?: unknown, options: { contentType?: string; accept?: string } = {}): Promise<T> {
    const url = new URL(path, this.access.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    if ('token' in this.access.credentials) headers.authorization = `Bearer ${this.access.credentials.token}`;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.agent, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
    if (status < 200 || status > 299) throw new ApiStatusError(status, method, path, text);
    if (options.accept?.startsWith('text/')) return text as T;
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async list(path: string): Promise<KubeObject[]> {
    return (await this.request<{ items: KubeObject[] | null }>('GET', path)).items ?? [];
  }

  /** Names of the objects at `path` (a metadata-only list: cheap for big kinds such as Deployments). */
  async listNames(path: string): Promise<Set<string>> {
    const accept = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
    const list = await this.request<{ items: KubeObject[] }>('GET', path, undefined, { accept });
    return new Set((list.items ?? []).map((o) => o.metadata.name));
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `work` over `items` with at most `concurrency` at once. */
export async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}
