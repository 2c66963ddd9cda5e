import { rootCertificates } from 'node:tls';
import type { Agent } from 'undici';
import { loadUndici, type Undici } from './undici.js';
import type { Logger } from '../../logging/logger.js';
import { connectionError, REGISTRY_ERROR_CODES, RegistryApiError, systemErrorCode } from './errors.js';
import { runDeadlineReached, type ReadBudget } from './read-limits.js';
import { addressRefused, type AddressPolicy } from './address-policy.js';

/** One HTTP exchange as seen by the `onRequest` hook (benchmarks count these). */
export interface RegistryRequestEvent {
  method: string;
  url: string;
  /** HTTP status, or null when the attempt got no answer. */
  status: number | null;
  /** 1 for the first try, 2+ for retries. */
  attempt: number;
  durationMs: number;
  /** `registry` for v2 API calls, `token` for token-server calls. */
  kind: 'registry' | 'token';
}

export interface HttpTransportOptions {
  caPem?: string;
  /** Skip certificate checks, for the registry's own origin only (registryOrigin). */
  insecureSkipTlsVerify?: boolean;
  /** `https://host:port` of the registry: the one origin insecureSkipTlsVerify applies to. */
  registryOrigin?: string;
  /** Most requests in flight at once (also the keep-alive connections per origin). */
  concurrency: number;
  /** Retries after the first attempt on 429, 5xx and connection resets. */
  retries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  timeoutMs: number;
  /** Total time of one attempt, body included; past it the exchange fails with DM_ERR_REGISTRY_TIMEOUT and is not retried. */
  requestDeadlineMs?: number;
  /** Bytes read over the transport's life; past its limit every read fails with DM_ERR_REGISTRY_LIMIT. */
  budget?: ReadBudget;
  /** The run's deadline: once aborted, every exchange fails with DM_ERR_REGISTRY_LIMIT (maxDuration). */
  signal?: AbortSignal;
  /** Where connections may go (external registries): checked on every URL and on every resolved address. */
  addressPolicy?: AddressPolicy;
  userAgent: string;
  logger: Logger;
  onRequest?: (event: RegistryRequestEvent) => void;
}

export type HttpMethod = 'GET' | 'HEAD' | 'DELETE' | 'POST' | 'PUT';

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  /** Sent as is (the pull canary's small blob and manifest); reads send none. */
  body?: Buffer;
  kind?: RegistryRequestEvent['kind'];
  /** Refuse bodies larger than this (manifests are ≤ 4 MiB in distribution; configs are small). */
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", " (valid for Link and WWW-Authenticate). */
  headers: Record<string, string>;
  body: Buffer;
}

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Connection-level failures worth another try: the server or a keep-alive socket went away. */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** A counting semaphore: at most `limit` holders at once, waiters served in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    } else {
      this.active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next) next();
      else this.active--;
    };
  }
}

/**
 * Parses `Retry-After` (delta-seconds or an HTTP date) into milliseconds from `now`;
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with jitter: a random delay in [½, 1] × base·2^(retry-1), capped. */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (retry - 1));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * The HTTP layer of one registry client: a keep-alive undici Agent, a concurrency limit, and
 * bounded retries with backoff. Every exchange (retries and token calls included) is reported to
 * `onRequest`. It never logs headers: they carry credentials.
 */
export class HttpTransport {
  /** Made at the first request (undici.ts: undici loads then). */
  private agent: Agent | undefined;
  /** For every other origin (token realm, blob redirects): certificates always checked. */
  private strictAgent: Agent | undefined;
  private readonly semaphore: Semaphore;

  constructor(private readonly options: HttpTransportOptions) {
    this.semaphore = new Semaphore(options.concurrency);
  }

  /** Sends one request, retrying transient failures; resolves with any HTTP status that is final. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const maxAttempts = this.options.retries + 1;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attemptOnce(req, attempt);
      const lastAttempt = attempt >= maxAttempts;
      if ('response' in outcome) {
        const { response } = outcome;
        if (!isRetryableStatus(response.status) || lastAttempt) return response;
        const delay = this.retryDelay(attempt, parseRetryAfter(response.headers['retry-after']));
        this.options.logger.warn(
          { method: req.method, url: req.url, status: response.status, attempt, delayMs: delay },
          'Registry answered with a transient error; retrying',
        );
        await sleep(delay);
        continue;
      }
      const code = systemErrorCode(outcome.error);
      if (code === undefined || !RETRYABLE_NETWORK_CODES.has(code) || lastAttempt) {
        throw connectionError(req.method, req.url, outcome.error, attempt);
      }
      const delay = this.retryDelay(attempt, undefined);
      this.options.logger.warn({ method: req.method, url: req.url, code, attempt, delayMs: delay }, 'Registry connection failed; retrying');
      await sleep(delay);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.agent?.close(), this.strictAgent?.close()]);
  }

  /**
   * `insecure` is a statement about one registry's certificate, not a licence to talk to any host
   * without checks: a token realm or a blob-redirect host on another origin always gets a
   * verified connection (the registry could otherwise send our credentials, or a forged blob,
   * through a host nobody checked).
   */
  private dispatcherFor(undici: Undici, url: string): Agent {
    if (!this.options.insecureSkipTlsVerify || this.options.registryOrigin === undefined || new URL(url).origin === this.options.registryOrigin) {
      this.agent ??= this.newAgent(undici, !this.options.insecureSkipTlsVerify);
      return this.agent;
    }
    this.strictAgent ??= this.newAgent(undici, true);
    return this.strictAgent;
  }

  /**
   * A keep-alive pool with this transport's limits. A custom CA is added to the public roots
   * rather than replacing them, so a blob redirect to a public object store (S3 storage driver)
   * still verifies.
   */
  private newAgent(undici: Undici, rejectUnauthorized: boolean): Agent {
    const { caPem, concurrency, timeoutMs, addressPolicy } = this.options;
    return new undici.Agent({
      connections: concurrency,
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: {
        ...(caPem ? { ca: [...rootCertificates, caPem] } : {}),
        rejectUnauthorized,
        timeout: timeoutMs,
        ...(addressPolicy && { lookup: addressPolicy.lookup }),
      },
    });
  }

  private retryDelay(attempt: number, retryAfterMs: number | undefined): number {
    const backoff = backoffDelay(attempt, this.options.retryBaseDelayMs, this.options.retryMaxDelayMs);
    // Retry-After is the server's explicit wish; honour it, but never beyond the cap.
    return retryAfterMs === undefined ? backoff : Math.min(Math.max(retryAfterMs, backoff), this.options.retryMaxDelayMs);
  }

  private async attemptOnce(req: HttpRequest, attempt: number): Promise<{ response: HttpResponse } | { error: unknown }> {
    const release = await this.semaphore.acquire();
    const started = performance.now();
    let status: number | null = null;
    const deadlineMs = this.options.requestDeadlineMs;
    const deadline = deadlineMs === undefined ? undefined : AbortSignal.timeout(deadlineMs);
    const run = this.options.signal;
    if (run?.aborted) throw runDeadlineReached(req);
    this.options.addressPolicy?.checkUrl(req.url, req.method);
    const signal = deadline && run ? AbortSignal.any([deadline, run]) : (deadline ?? run);
    try {
      const undici = await loadUndici();
      const answer = await undici.request(req.url, {
        dispatcher: this.dispatcherFor(undici, req.url),
        method: req.method,
        headers: { 'user-agent': this.options.userAgent, ...req.headers },
        ...(req.body && { body: req.body }),
        ...(signal && { signal }),
      });
      status = answer.statusCode;
      const body = await readBody(answer.body, req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, req, this.options.budget);
      return { response: { status, headers: flattenHeaders(answer.headers), body } };
    } catch (error) {
      if (error instanceof RegistryApiError) throw error;
      if (run?.aborted) throw runDeadlineReached(req);
      const refusal = refusedByLookup(error);
      if (refusal) throw addressRefused(req.method, req.url, refusal);
      // Slow headers or a trickled body: the whole exchange is bounded, and not tried again.
      if (deadline?.aborted) {
        throw new RegistryApiError({
          code: REGISTRY_ERROR_CODES.timeout,
          method: req.method,
          url: req.url,
          status,
          message: `${req.method} ${req.url}: no complete answer within ${deadlineMs} ms (the registry sent its headers or body too slowly).`,
          cause: error,
        });
      }
      return { error };
    } finally {
      release();
      const durationMs = performance.now() - started;
      this.options.logger.debug({ method: req.method, url: req.url, status, attempt, durationMs }, 'Sent registry request');
      this.options.onRequest?.({ method: req.method, url: req.url, status, attempt, durationMs, kind: req.kind ?? 'registry' });
    }
  }
}

async function readBody(body: AsyncIterable<Buffer> & { destroy(): unknown }, limit: number, req: HttpRequest, budget: ReadBudget | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    try {
      budget?.take(chunk.length, req);
    } catch (error) {
      body.destroy();
      throw error;
    }
    if (total > limit) {
      body.destroy();
      throw new RegistryApiError({
        code: REGISTRY_ERROR_CODES.invalidResponse,
        method: req.method,
        url: req.url,
        message: `${req.method} ${req.url}: response body exceeds ${limit} bytes; refusing to buffer it.`,
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The reason, when a connection failed because the address policy's lookup refused the name. */
function refusedByLookup(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as NodeJS.ErrnoException).code === 'EDMREFUSED') return e.message;
  }
  return undefined;
}
