import type { ZodType } from 'zod';
import type { Logger } from '../../logging/logger.js';
import { silentLogger } from '../../logging/logger.js';
import { dockmasterVersion } from '../../version.js';
import { RegistryAuthenticator, scopeForRequest, type RegistryCredentials } from './auth.js';
import { digestOf, isVerifiableDigest } from './digest.js';
import { REGISTRY_ERROR_CODES, RegistryApiError, RegistryClientConfigError } from './errors.js';
import { checkDigest, checkedBaseUrl, checkReference, checkRepository, checkTag } from './input-checks.js';
import { HttpTransport, type HttpMethod, type HttpResponse, type RegistryRequestEvent } from './http.js';
import { bareMediaType, MANIFEST_ACCEPT } from './media-types.js';
import { parseManifestBody, type ParsedManifest } from './manifest-parsing.js';
import { collectPages, nextPageUrl, type Page } from './pagination.js';
import { DEFAULT_REGISTRY_READ_LIMITS, ReadBudget, type RegistryReadLimits } from './read-limits.js';
import type { AddressPolicy } from './address-policy.js';
import { errorFromResponse, invalidResponse, parseJsonBody, type RequestContext } from './response-errors.js';
import { catalogPageSchema, imageConfigSchema, tagsPageSchema, type ImageConfig } from './schemas.js';

export interface RegistryV2ClientOptions {
  /** Base URL of the registry, e.g. `https://registry.example:5000`. */
  url: string;
  credentials?: RegistryCredentials;
  /** PEM CA bundle trusted in addition to the public roots. */
  caPem?: string;
  /** Accept any server certificate. For test registries only. */
  insecureSkipTlsVerify?: boolean;
  /** Plain `http://` is refused unless this is true: it would send credentials in clear text. */
  allowPlainHttp?: boolean;
  /** Most requests in flight at once to this registry (default 8). */
  concurrency?: number;
  /** Retries after the first attempt on 429, 5xx and connection resets (default 3). */
  retries?: number;
  /** First retry delay before jitter (default 200 ms); doubles per retry. */
  retryBaseDelayMs?: number;
  /** Cap on any retry delay, Retry-After included (default 10 s). */
  retryMaxDelayMs?: number;
  /** Connect, headers and body idle timeout per attempt (default 30 s). */
  timeoutMs?: number;
  /** Bounds on pages, entries, bytes and time (DEFAULT_REGISTRY_READ_LIMITS for what is not given). */
  limits?: Partial<RegistryReadLimits>;
  /** A run's deadline: once aborted, every request fails (DM_ERR_REGISTRY_LIMIT, maxDuration). */
  signal?: AbortSignal;
  /** Where connections may go (a tenant's external registry): every URL and resolved address is checked. */
  addressPolicy?: AddressPolicy;
  userAgent?: string;
  logger?: Logger;
  /** Called after every HTTP exchange, retries and token requests included. */
  onRequest?: (event: RegistryRequestEvent) => void;
}

export interface ManifestHead {
  digest: string;
  mediaType: string;
  size: number;
}

export type ManifestResult = ParsedManifest & {
  digest: string;
  mediaType: string;
  size: number;
  /** The exact bytes the digest was computed over. */
  bytes: Buffer;
};

const CATALOG_PAGE_SIZE = 1000;
const MAX_BLOB_REDIRECTS = 5;

/**
 * A client for one registry's v2 API: what the retention engine and the controllers use to list,
 * inspect and delete manifests. Every answer is checked (status, shape, digest) and every failure
 * is a RegistryApiError. One instance per registry: it holds the connection pool, the token cache
 * and the image-config cache. Call `close()` when done.
 */
/** Image configs a client keeps (oldest dropped first). */
const CONFIG_CACHE_ENTRIES = 4096;

export class RegistryV2Client {
  readonly baseUrl: string;
  private readonly transport: HttpTransport;
  private readonly auth: RegistryAuthenticator;
  private readonly configCache = new Map<string, Promise<ImageConfig>>();
  readonly limits: RegistryReadLimits;
  private readonly budget: ReadBudget;

  constructor(options: RegistryV2ClientOptions) {
    this.baseUrl = checkedBaseUrl(options.url, options.allowPlainHttp ?? false);
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RegistryClientConfigError(`concurrency must be a positive integer, got ${concurrency}`);
    this.limits = { ...DEFAULT_REGISTRY_READ_LIMITS, ...options.limits };
    this.budget = new ReadBudget(this.limits.maxBytesRead);
    this.transport = new HttpTransport({
      registryOrigin: new URL(this.baseUrl).origin,
      requestDeadlineMs: this.limits.requestDeadlineMs,
      budget: this.budget,
      ...(options.signal && { signal: options.signal }),
      ...(options.addressPolicy && { addressPolicy: options.addressPolicy }),
      caPem: options.caPem,
      insecureSkipTlsVerify: options.insecureSkipTlsVerify,
      concurrency,
      retries: options.retries ?? 3,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 200,
      retryMaxDelayMs: options.retryMaxDelayMs ?? 10_000,
      timeoutMs: options.timeoutMs ?? 30_000,
      userAgent: options.userAgent ?? `dockmaster/${dockmasterVersion()}`,
      logger: (options.logger ?? silentLogger()).child({ registry: this.baseUrl }),
      onRequest: options.onRequest,
    });
    this.auth = new RegistryAuthenticator({
      credentials: options.credentials,
      transport: this.transport,
      allowPlainHttp: options.allowPlainHttp ?? false,
    });
  }

  /** Checks the registry answers `/v2/` (authenticating if asked) and reports its API version header. */
  async ping(): Promise<{ apiVersion: string | null }> {
    const { context, response } = await this.send('GET', '/v2/', null, '');
    if (response.status !== 200) throw errorFromResponse(context, response);
    return { apiVersion: response.headers['docker-distribution-api-version'] ?? null };
  }

  /**
   * Every repository in the registry (`_catalog`), following Link pagination. Pages default to
   * 1000 entries, the most distribution accepts (`catalog.maxentries`; measured on 2.8.2: n=1001 →
   * 400 PAGINATION_NUMBER_INVALID, no `n` → 100 entries and a Link).
   */
  async listRepositories(options: { pageSize?: number } = {}): Promise<string[]> {
    const pageSize = options.pageSize ?? CATALOG_PAGE_SIZE;
    const itemsOf = (body: { repositories?: string[] | null }): string[] => body.repositories ?? [];
    try {
      return await this.collect(`/v2/_catalog?n=${pageSize}`, null, catalogPageSchema, itemsOf, 'maxRepositories');
    } catch (error) {
      // A registry configured with a smaller catalog.maxentries rejects our n: let it choose.
      if (error instanceof RegistryApiError && error.registryCode === 'PAGINATION_NUMBER_INVALID') {
        return this.collect('/v2/_catalog', null, catalogPageSchema, itemsOf, 'maxRepositories');
      }
      throw error;
    }
  }

  /**
   * Every tag of `repository`. Without `pageSize` no `n` is sent: distribution 2.8.2 ignores it and
   * returns all tags at once, and 3.x returns all tags too when `n` is absent — one request.
   */
  async listTags(repository: string, options: { pageSize?: number } = {}): Promise<string[]> {
    checkRepository(repository);
    const query = options.pageSize === undefined ? '' : `?n=${options.pageSize}`;
    return this.collect(`/v2/${repository}/tags/list${query}`, repository, tagsPageSchema, (body) => body.tags ?? [], 'maxTagsPerRepository');
  }

  /** Digest, media type and size of a manifest by tag or digest, without its body. */
  async headManifest(repository: string, reference: string): Promise<ManifestHead> {
    checkRepository(repository);
    checkReference(reference);
    const { context, response } = await this.send('HEAD', `/v2/${repository}/manifests/${reference}`, repository, undefined, {
      accept: MANIFEST_ACCEPT,
    });
    if (response.status !== 200) throw errorFromResponse(context, response);
    const digest = response.headers['docker-content-digest'];
    // Registries behind some proxies drop the digest header on HEAD; the body then tells.
    if (digest === undefined || !isVerifiableDigest(digest)) {
      const manifest = await this.getManifest(repository, reference);
      return { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.size };
    }
    if (reference.includes(':') && digest !== reference) {
      throw digestMismatch(context, `the registry reports digest ${digest} for a manifest requested by digest ${reference}`);
    }
    return { digest, mediaType: bareMediaType(response.headers['content-type']), size: Number(response.headers['content-length'] ?? 0) };
  }

  /**
   * A manifest by tag or digest, parsed and validated. Its digest is `Docker-Content-Digest`,
   * checked against the sha256 of the body; fetched by digest, the body must hash to that digest.
   */
  async getManifest(repository: string, reference: string): Promise<ManifestResult> {
    checkRepository(repository);
    checkReference(reference);
    const { context, response } = await this.send('GET', `/v2/${repository}/manifests/${reference}`, repository, undefined, {
      accept: MANIFEST_ACCEPT,
    });
    if (response.status !== 200) throw errorFromResponse(context, response);
    const bytes = response.body;
    const headerDigest = response.headers['docker-content-digest'];
    const expected = reference.includes(':') ? reference : headerDigest;
    const computed = digestOf(bytes, expected ?? 'sha256:');
    if (expected !== undefined && computed !== expected) {
      throw digestMismatch(context, `the body hashes to ${computed} but the expected digest is ${expected}`);
    }
    if (headerDigest !== undefined && headerDigest !== computed) {
      throw digestMismatch(context, `the body hashes to ${computed} but Docker-Content-Digest says ${headerDigest}`);
    }
    const parsed = parseManifestBody(context, response, bareMediaType(response.headers['content-type']));
    return { ...parsed, digest: computed, size: bytes.length, bytes };
  }

  /** A blob's bytes (for configs and other small blobs), verified against its digest. */
  async getBlob(repository: string, digest: string, options: { maxBytes?: number } = {}): Promise<Buffer> {
    checkRepository(repository);
    checkDigest(digest, 'getBlob');
    let { context, response } = await this.send('GET', `/v2/${repository}/blobs/${digest}`, repository, undefined, {}, options.maxBytes);
    // Object-store drivers (s3, gcs, azure) answer with a redirect to a signed URL on another host,
    // which must not receive our Authorization header.
    for (let hop = 0; isRedirect(response.status) && hop < MAX_BLOB_REDIRECTS; hop++) {
      const location = response.headers['location'];
      if (!location) break;
      const target = new URL(location, context.url).toString();
      context = { method: 'GET', url: target };
      response = await this.transport.request({ method: 'GET', url: target, maxBodyBytes: options.maxBytes });
    }
    if (isRedirect(response.status)) {
      throw invalidResponse(context, response.status, `more than ${MAX_BLOB_REDIRECTS} redirects for blob ${digest} (a redirect loop?); refusing to follow further`);
    }
    if (response.status !== 200) throw errorFromResponse(context, response);
    const computed = digestOf(response.body, digest);
    if (computed !== digest) throw digestMismatch(context, `the blob hashes to ${computed}, not ${digest}`);
    return response.body;
  }

  /**
   * The image config fields the retention engine needs (`created`, `os`, `architecture`). Cached
   * per client by digest (content-addressed, so it never changes), the last CONFIG_CACHE_ENTRIES.
   */
  /** Response bytes read so far (checked against maxBytesRead). */
  get bytesRead(): number {
    return this.budget.used;
  }

  getImageConfig(repository: string, configDigest: string): Promise<ImageConfig> {
    const cached = this.configCache.get(configDigest);
    if (cached) return cached;
    const loading = this.getBlob(repository, configDigest).then((bytes) => {
      const context = { method: 'GET', url: `${this.baseUrl}/v2/${repository}/blobs/${configDigest}` };
      return parseJsonBody(imageConfigSchema, context, { status: 200, headers: {}, body: bytes }, 'image config');
    });
    // A failed fetch must not poison the cache: the next caller tries again.
    loading.catch(() => this.configCache.delete(configDigest));
    this.configCache.set(configDigest, loading);
    // Bounded: the cache saves requests for images that share a config, mostly within one
    // repository; unbounded, it would hold an entry per image of the whole run.
    if (this.configCache.size > CONFIG_CACHE_ENTRIES) this.configCache.delete(this.configCache.keys().next().value as string);
    return loading;
  }

  /**
   * Deletes a manifest by digest, which removes every tag pointing at it. Tags are refused: a
   * tag DELETE would remove only that tag where supported at all (distribution 2.8 answers 400
   * DIGEST_INVALID), and the retention engine decides per digest. A digest that is already gone
   * gives a DM_ERR_REGISTRY_NOT_FOUND error (possible after a retried DELETE whose first attempt
   * succeeded); callers converging on "gone" may treat it as done.
   */
  async deleteManifest(repository: string, digest: string): Promise<void> {
    checkRepository(repository);
    checkDigest(digest, 'deleteManifest');
    const { context, response } = await this.send('DELETE', `/v2/${repository}/manifests/${digest}`, repository);
    if (response.status < 200 || response.status >= 300) throw errorFromResponse(context, response);
  }

  /**
   * Removes a tag, keeping its manifest: `DELETE /v2/<name>/manifests/<tag>` (distribution 3.x,
   * the OCI spec's tag delete). distribution 2.x has no such call: callers decide from the version.
   */
  async deleteTag(repository: string, tag: string): Promise<void> {
    checkRepository(repository);
    checkTag(tag, 'deleteTag');
    const { context, response } = await this.send('DELETE', `/v2/${repository}/manifests/${tag}`, repository);
    if (response.status >= 200 && response.status < 300) return;
    const error = errorFromResponse(context, response);
    // 2.8 parses the reference as a digest, fails, and says DIGEST_INVALID: nothing was removed.
    if (response.status === 400 && error.registryCode === 'DIGEST_INVALID') {
      throw new RegistryApiError({
        code: REGISTRY_ERROR_CODES.untagUnsupported,
        method: 'DELETE',
        url: context.url,
        status: 400,
        registryCode: 'DIGEST_INVALID',
        message: `DELETE ${context.url}: the registry cannot untag (distribution 2.x answers a tag DELETE with 400 DIGEST_INVALID); nothing was removed. Untag only on distribution 3.x`,
      });
    }
    throw error;
  }

  /**
   * Uploads a small blob in one piece (POST for an upload session, then PUT with the digest) and
   * returns its digest. Only dockmaster's own pull canary writes to a registry; the upload
   * location the registry answers must stay on the registry, like a pagination Link.
   */
  async uploadBlob(repository: string, bytes: Buffer): Promise<string> {
    checkRepository(repository);
    const digest = digestOf(bytes, 'sha256:');
    const started = await this.send('POST', `/v2/${repository}/blobs/uploads/`, repository, undefined, { 'content-length': '0' }, undefined, Buffer.alloc(0));
    if (started.response.status !== 202) throw errorFromResponse(started.context, started.response);
    const location = new URL(started.response.headers.location ?? '', `${this.baseUrl}/`);
    if (!location.href.startsWith(`${this.baseUrl}/`)) {
      throw invalidResponse(started.context, started.response.status, `upload Location points outside the registry (${this.baseUrl}); refusing to follow it`);
    }
    location.searchParams.set('digest', digest);
    const { context, response } = await this.send('PUT', location.href, repository, undefined, { 'content-type': 'application/octet-stream' }, undefined, bytes);
    if (response.status !== 201) throw errorFromResponse(context, response);
    return digest;
  }

  /** Stores a manifest under a tag (the pull canary's); its blobs must already be there. */
  async putManifest(repository: string, tag: string, mediaType: string, bytes: Buffer): Promise<void> {
    checkRepository(repository);
    checkTag(tag, 'putManifest');
    const { context, response } = await this.send('PUT', `/v2/${repository}/manifests/${tag}`, repository, undefined, { 'content-type': mediaType }, undefined, bytes);
    if (response.status !== 201) throw errorFromResponse(context, response);
  }

  /** Closes the keep-alive connections. */
  async close(): Promise<void> {
    await this.transport.close();
  }

  /** Sends a request with the right Authorization, answering one 401 challenge. */
  private async send(
    method: HttpMethod,
    pathOrUrl: string,
    repository: string | null,
    scopeOverride?: string,
    headers: Record<string, string> = {},
    maxBodyBytes?: number,
    body?: Buffer,
  ): Promise<{ context: RequestContext; response: HttpResponse }> {
    const url = pathOrUrl.startsWith('/') ? `${this.baseUrl}${pathOrUrl}` : pathOrUrl;
    const scope = scopeOverride ?? scopeForRequest(method, repository);
    const context: RequestContext = { method, url, authDescription: this.auth.describe() };
    const authorization = await this.auth.authorizationFor(scope);
    const first = await this.transport.request({ method, url, headers: withAuth(headers, authorization), maxBodyBytes, ...(body && { body }) });
    if (first.status !== 401) return { context, response: first };
    const retryWith = await this.auth.answerChallenge(first.headers['www-authenticate'], scope);
    if (retryWith === undefined || retryWith === authorization) return { context, response: first };
    const second = await this.transport.request({ method, url, headers: withAuth(headers, retryWith), maxBodyBytes, ...(body && { body }) });
    return { context, response: second };
  }

  private async collect<T>(
    firstPath: string,
    repository: string | null,
    schema: ZodType<T>,
    itemsOf: (body: T) => string[],
    itemsLimit: 'maxRepositories' | 'maxTagsPerRepository',
  ): Promise<string[]> {
    const limits = { maxPages: this.limits.maxPages, maxItems: this.limits[itemsLimit], itemsLimit };
    return collectPages(`${this.baseUrl}${firstPath}`, async (url): Promise<Page> => {
      if (!url.startsWith(`${this.baseUrl}/`)) {
        throw invalidResponse({ method: 'GET', url }, null, `pagination Link points outside the registry (${this.baseUrl}); refusing to follow it`);
      }
      const { context, response } = await this.send('GET', url, repository);
      if (response.status !== 200) throw errorFromResponse(context, response);
      const body = parseJsonBody(schema, context, response, 'listing page');
      return { items: itemsOf(body), next: nextPageUrl(response.headers['link'], url) };
    }, limits);
  }
}

function withAuth(headers: Record<string, string>, authorization: string | undefined): Record<string, string> {
  return authorization === undefined ? headers : { ...headers, authorization };
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function digestMismatch(context: RequestContext, problem: string): RegistryApiError {
  return new RegistryApiError({
    code: REGISTRY_ERROR_CODES.digestMismatch,
    method: context.method,
    url: context.url,
    status: 200,
    message: `${context.method} ${context.url}: ${problem}. The content was altered in transit or the registry is corrupt; nothing was trusted.`,
  });
}
