import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { KubernetesObject } from '@kubernetes/client-node';
import { DockmasterError } from '../errors.js';
import { objectPath, type KubeResource } from './resources.js';
import { KubeApiError, createKubeTransport, readBody, watchIdleTimeoutMs, type KubeMethod, type KubeRequest } from './kube-transport.js';

export { KubeApiError } from './kube-transport.js';

/** One request the operator made to the apiserver, as counted by metrics. */
export interface ApiRequestRecord {
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
  /** Plural resource, with subresource: `configmaps`, `registries/status`. */
  resource: string;
  /** HTTP status as text, or `error` when no response came back. */
  code: string;
}

export type ApiRequestObserver = (record: ApiRequestRecord) => void;

/** Verbs that change cluster state; an idle operator must make none of them. */
export const WRITE_VERBS: ReadonlySet<string> = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/**
 * Reads verb and resource from a request URL the way the apiserver's RequestInfo resolver does:
 * `/api/v1/namespaces/ns/configmaps/x` → get configmaps; `/apis/g/v/registries?watch=true` → watch.
 */
export function describeApiRequest(method: string, url: string): { verb: string; resource: string } {
  const parsed = new URL(url, 'https://apiserver.invalid');
  const parts = parsed.pathname.split('/').filter(Boolean);
  let rest: string[];
  if (parts[0] === 'api') rest = parts.slice(2);
  else if (parts[0] === 'apis') rest = parts.slice(3);
  else return { verb: method.toLowerCase(), resource: 'nonresource' };
  if (rest.length === 0) return { verb: 'get', resource: 'discovery' };
  // `namespaces/<ns>/<resource>…` is namespaced; `namespaces` or `namespaces/<ns>` is the namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource = '', name, subresource] = rest;
  const fullResource = subresource ? `${resource}/${subresource}` : resource;
  const hasName = name !== undefined;
  const watch = parsed.searchParams.get('watch');
  switch (method.toUpperCase()) {
    case 'GET':
      if (watch === 'true' || watch === '1') return { verb: 'watch', resource: fullResource };
      return { verb: hasName ? 'get' : 'list', resource: fullResource };
    case 'POST':
      return { verb: 'create', resource: fullResource };
    case 'PUT':
      return { verb: 'update', resource: fullResource };
    case 'PATCH':
      return { verb: 'patch', resource: fullResource };
    case 'DELETE':
      return { verb: hasName ? 'delete' : 'deletecollection', resource: fullResource };
    default:
      return { verb: method.toLowerCase(), resource: fullResource };
  }
}

/** Builds the KubeConfig in one place: an explicit file, else in-cluster, else the default chain. */
export function loadKubeConfig(options: { kubeconfigPath?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  if (options.kubeconfigPath) kc.loadFromFile(options.kubeconfigPath);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) {
    throw new DockmasterError('DM_ERR_KUBECONFIG', 'No current cluster in the kubeconfig: set --kubeconfig or KUBECONFIG.');
  }
  return kc;
}

/** What dockmaster asks of the apiserver: JSON requests, one text read (pod logs) and watches, all counted. */
export interface KubeClients {
  kubeConfig: KubeConfig;
  /** A JSON request; throws KubeApiError on a non-2xx answer. */
  requestJson<T>(method: KubeMethod, path: string, options?: RawRequestOptions): Promise<T>;
  /** A GET whose answer is text (a pod's log); throws KubeApiError on a non-2xx answer. */
  requestText(path: string, options?: Pick<RawRequestOptions, 'query'>): Promise<string>;
  /**
   * Streams a watch: `onEvent` for each event line, `onDone` exactly once when it ends (the error,
   * a KubeApiError for a non-200 answer, or nothing when the server closed it). Resolves once the
   * answer's status is known; `stop()` ends it without calling `onDone` with an error.
   */
  watch(path: string, query: Record<string, string | number | boolean | undefined>, onEvent: (event: { type: string; object: unknown }) => void, onDone: (err?: unknown) => void): Promise<{ stop(): void }>;
}

export interface RawRequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
}

export function createKubeClients(kc: KubeConfig, observe?: ApiRequestObserver): KubeClients {
  const transport = createKubeTransport(kc);

  async function open(request: KubeRequest, idleTimeoutMs?: number): ReturnType<typeof transport.open> {
    const { verb, resource } = describeApiRequest(request.method, request.query?.watch === 'true' ? `${request.path}?watch=true` : request.path);
    try {
      const opened = await transport.open(request, idleTimeoutMs === undefined ? {} : { idleTimeoutMs });
      observe?.({ verb, resource, code: String(opened.response.statusCode) });
      return opened;
    } catch (err) {
      observe?.({ verb, resource, code: 'error' });
      throw err;
    }
  }

  async function requestText(request: KubeRequest): Promise<string> {
    const { response } = await open(request);
    const text = await readBody(response);
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) throw KubeApiError.ofAnswer(request, response, text);
    return text;
  }

  return {
    kubeConfig: kc,
    async requestJson<T>(method: KubeMethod, path: string, options: RawRequestOptions = {}): Promise<T> {
      const text = await requestText({ method, path, ...options });
      return (text ? JSON.parse(text) : undefined) as T;
    },
    requestText: (path, options = {}) => requestText({ method: 'GET', path, accept: '*/*', ...options }),
    async watch(path, query, onEvent, onDone) {
      let finished = false;
      const finish = (err?: unknown): void => {
        if (finished) return;
        finished = true;
        onDone(err ?? undefined);
      };
      let opened: Awaited<ReturnType<typeof transport.open>>;
      try {
        opened = await open({ method: 'GET', path, query: { ...query, watch: 'true' } }, watchIdleTimeoutMs(typeof query.timeoutSeconds === 'number' ? query.timeoutSeconds : undefined));
      } catch (err) {
        finish(err);
        return { stop: () => finish() };
      }
      const { response, abort } = opened;
      if (response.statusCode !== 200) {
        const text = await readBody(response).catch(() => '');
        finish(KubeApiError.ofAnswer({ method: 'GET', path }, response, text));
        return { stop: () => finish() };
      }
      response.socket?.setKeepAlive(true, 30_000);
      response.setEncoding('utf8');
      let pending = '';
      response.on('data', (chunk: string) => {
        pending += chunk;
        for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (finished || line.trim() === '') continue;
          let event: { type?: unknown; object?: unknown };
          try {
            event = JSON.parse(line) as { type?: unknown; object?: unknown };
          } catch {
            continue; // a torn line is no event; the informer re-lists when the watch ends
          }
          if (typeof event.type === 'string') onEvent({ type: event.type, object: event.object });
        }
      });
      response.on('end', () => finish());
      response.on('error', (err) => finish(err));
      response.on('close', () => finish());
      return {
        stop() {
          finish();
          abort();
        },
      };
    },
  };
}

export interface ApplyOptions {
  /** One field manager for everything we own, so field ownership stays stable across versions. */
  fieldManager: string;
  /** `status` to apply to the status subresource. */
  subresource?: 'status';
  /** Take fields over from other managers (controllers should: they own the desired state). */
  force?: boolean;
}

/**
 * Server-side apply (PATCH application/apply-patch+yaml; JSON is YAML). The apiserver merges by
 * field ownership, and applying an unchanged object does not bump its resourceVersion — but it is
 * still a write request: reconcilers skip it when nothing changed.
 */
export async function serverSideApply<T extends KubernetesObject>(
  clients: Pick<KubeClients, 'requestJson'>,
  resource: KubeResource,
  object: T,
  options: ApplyOptions,
): Promise<T> {
  const name = object.metadata?.name;
  if (!name) throw new DockmasterError('DM_ERR_APPLY', `Cannot apply a ${resource.kind} without metadata.name`);
  const body = { ...object, apiVersion: resource.apiVersion, kind: resource.kind };
  return clients.requestJson<T>('PATCH', objectPath(resource, object.metadata?.namespace, name, options.subresource), {
    body,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: options.fieldManager, force: options.force === false ? undefined : 'true' },
  });
}

/** The HTTP status of a failed apiserver request (KubeApiError, or client-node's ApiException from tests' typed clients), if it carries one. */
export function apiErrorStatus(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.code;
  if (typeof err === 'object' && err !== null) {
    const candidate = (err as { statusCode?: unknown; code?: unknown }).statusCode ?? (err as { code?: unknown }).code;
    if (typeof candidate === 'number') return candidate;
  }
  return undefined;
}

/**
 * The result of a read, or undefined when the object does not exist (404): controller-runtime's
 * IgnoreNotFound for a get. Every other error is thrown as it came.
 */
export async function getOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (apiErrorStatus(error) === 404) return undefined;
    throw error;
  }
}

/** The body of a failed API request as the apiserver sent it: client-node keeps it as text or as parsed JSON. */
function apiErrorBody(err: unknown): { raw: unknown; parsed: unknown } {
  const raw = typeof err === 'object' && err !== null ? (err as { body?: unknown }).body : undefined;
  if (typeof raw !== 'string') return { raw, parsed: raw };
  try {
    return { raw, parsed: JSON.parse(raw) as unknown };
  } catch {
    return { raw, parsed: undefined };
  }
}

/** The apiserver's message of a failed request (its Status `message`), or the error's own. */
export function apiErrorDetail(error: unknown): string {
  const { raw, parsed } = apiErrorBody(error);
  const status = typeof parsed === 'object' && parsed !== null ? (parsed as { message?: unknown }) : undefined;
  if (typeof raw === 'string') return status ? String(status.message ?? raw) : raw;
  if (status && 'message' in status) return String(status.message);
  return error instanceof Error ? error.message : String(error);
}

/**
 * True for the apiserver's refusal to create objects in a namespace that is being deleted
 * (403 with cause NamespaceTerminating). Not an authorization failure: nothing to fix, the
 * namespace and everything in it are going away.
 */
export function isNamespaceTerminating(err: unknown): boolean {
  if (apiErrorStatus(err) !== 403) return false;
  const causes = (apiErrorBody(err).parsed as { details?: { causes?: Array<{ reason?: unknown }> } } | null | undefined)?.details?.causes;
  return Array.isArray(causes) && causes.some((cause) => cause?.reason === 'NamespaceTerminating');
}
