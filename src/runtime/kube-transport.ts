/**
 * The one HTTP layer between dockmaster and the apiserver. client-node's KubeConfig does what it
 * is there for: reading kubeconfigs, in-cluster tokens, exec, OIDC and cloud auth plugins,
 * proxies, all through `applyToHTTPSOptions`. Requests go over node:http(s) from here.
 *
 * Why not client-node's generated API classes and its fetch layer (issue 21): they load every
 * model class and node-fetch's URL library with its Unicode tables, about 30 MB of a 60 MB process
 * (docs/benchmarks.md), to make the dozen kinds of request dockmaster makes. The bundle replaces
 * the two imports of client-node's config.js that drag them in (scripts/bundle.ts).
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { DockmasterError } from '../errors.js';

export type KubeMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface KubeRequest {
  method: KubeMethod;
  /** Path under the cluster's server URL, with no query: `/api/v1/namespaces/ns/configmaps`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Serialised as JSON (server-side apply sends JSON as YAML). */
  body?: unknown;
  contentType?: string;
  accept?: string;
}

/**
 * A request the apiserver answered outside 2xx. `code` and `body` (the Status, parsed when it is
 * JSON) are where client-node's ApiException keeps them, so `apiErrorStatus` reads both.
 */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly code: number,
    readonly method: string,
    readonly path: string,
    readonly body: unknown,
    readonly headers: IncomingHttpHeaders,
  ) {
    const status = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
    super(`${method} ${path}: HTTP ${code}${typeof status === 'string' ? `: ${status}` : ''}`);
  }

  /** The error of an answer outside 2xx, from its body text: the Status when it is JSON, the text as it is (an HTML page from a proxy) otherwise. */
  static ofAnswer(request: Pick<KubeRequest, 'method' | 'path'>, response: IncomingMessage, text: string): KubeApiError {
    return new KubeApiError(response.statusCode ?? 0, request.method, request.path, parseMaybeJson(text), response.headers);
  }
}

/** No byte for this long on a request that is not a watch: the connection is dead or the apiserver stuck. */
const REQUEST_IDLE_TIMEOUT_MS = 60_000;
/** A watch hears bookmarks about every minute; silence past its server timeout plus this means a dead peer. */
const WATCH_IDLE_GRACE_MS = 60_000;

/**
 * One kept-alive agent per TLS identity. KubeConfig makes a new agent for every request, so every
 * call would pay a TLS handshake and a fresh OpenSSL context (measured with 500 Registries at
 * once: most of the operator's CPU and native memory). A rotated client certificate (exec
 * plugins) gets a new agent and the old one's sockets are freed. Proxy agents (kubeconfig
 * `proxy-url`) are used as KubeConfig made them: replacing them would bypass the proxy.
 */
class KeepAliveAgents {
  private current: { key: string; agent: http.Agent } | undefined;

  reuse(perRequest: unknown): http.Agent | undefined {
    if (!(perRequest instanceof http.Agent)) return undefined;
    const plain = perRequest.constructor === https.Agent || perRequest.constructor === http.Agent;
    if (!plain) return perRequest;
    const options = (perRequest as http.Agent & { options: https.AgentOptions }).options;
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = options;
    const identity = JSON.stringify([perRequest.constructor === https.Agent, ca, cert, key, pfx, passphrase, rejectUnauthorized, servername].map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v)));
    if (this.current?.key !== identity) {
      this.current?.agent.destroy();
      const Agent = perRequest.constructor === https.Agent ? https.Agent : http.Agent;
      this.current = { key: identity, agent: new Agent({ ...options, keepAlive: true }) };
    }
    return this.current.agent;
  }
}

export interface KubeTransport {
  /** Sends a request; resolves with the response once its headers arrive (any status). */
  open(request: KubeRequest, options?: { idleTimeoutMs?: number }): Promise<{ response: IncomingMessage; abort(): void }>;
}

export function createKubeTransport(kc: KubeConfig): KubeTransport {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new DockmasterError('DM_ERR_KUBECONFIG', 'No current cluster in the kubeconfig.');
  const server = cluster.server.replace(/\/+$/, '');
  const agents = new KeepAliveAgents();
  return {
    async open(request, options = {}) {
      const url = new URL(server + request.path);
      for (const [name, value] of Object.entries(request.query ?? {})) {
        if (value !== undefined) url.searchParams.set(name, String(value));
      }
      const headers: Record<string, string> = { Accept: request.accept ?? 'application/json' };
      const body = request.body === undefined ? undefined : JSON.stringify(request.body);
      if (body !== undefined) {
        headers['Content-Type'] = request.contentType ?? 'application/json';
        headers['Content-Length'] = String(Buffer.byteLength(body));
      }
      const requestOptions: https.RequestOptions = { method: request.method, headers };
      await kc.applyToHTTPSOptions(requestOptions);
      requestOptions.agent = agents.reuse(requestOptions.agent);
      const send = url.protocol === 'http:' ? http.request : https.request;
      return new Promise((resolve, reject) => {
        const outgoing = send(url, requestOptions, (response) => resolve({ response, abort: () => outgoing.destroy() }));
        const idleMs = options.idleTimeoutMs ?? REQUEST_IDLE_TIMEOUT_MS;
        outgoing.setTimeout(idleMs, () => {
          outgoing.destroy(new DockmasterError('DM_ERR_KUBE_TIMEOUT', `${request.method} ${request.path}: no answer from the apiserver within ${idleMs} ms`));
        });
        outgoing.on('error', reject);
        outgoing.end(body);
      });
    },
  };
}

/** The whole body as text. */
export async function readBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseMaybeJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The grace after a watch's own server-side timeout before its silent connection counts as dead. */
export function watchIdleTimeoutMs(timeoutSeconds: number | undefined): number | undefined {
  return timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000 + WATCH_IDLE_GRACE_MS;
}
