import { Agent as HttpsAgent } from 'node:https';
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  KubernetesObjectApi,
  ServerConfiguration,
  createConfiguration,
  wrapHttpLibrary,
  type Configuration,
  type KubernetesObject,
  type RequestContext,
} from '@kubernetes/client-node';
import { DockmasterError } from '../errors.js';
import { objectPath, type KubeResource } from './resources.js';

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

/** KubernetesObjectApi whose default namespace follows the kubeconfig, like its makeApiClient. */
class GenericObjectApi extends KubernetesObjectApi {
  constructor(configuration: Configuration, kc: KubeConfig) {
    super(configuration);
    this.setDefaultNamespace(kc);
  }
}

/**
 * client-node 1.4 gives every request a new https.Agent (KubeConfig.applySecurityAuthentication),
 * so every API call pays a TLS handshake and a fresh OpenSSL context for the CA, certificate and
 * key: measured with 500 Registries created at once (bench/reconcile-scale.bench.ts), that was
 * most of the operator's CPU and native memory. One kept-alive agent per TLS identity instead;
 * a rotated client certificate (exec plugins) gets a new agent, the old one's sockets are freed.
 */
class KeepAliveAgents {
  private current: { key: string; agent: HttpsAgent } | undefined;

  reuseConnections(request: RequestContext): void {
    const perRequest = request.getAgent();
    if (!(perRequest instanceof HttpsAgent)) return;
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = perRequest.options;
    const identity = JSON.stringify([ca, cert, key, pfx, passphrase, rejectUnauthorized, servername].map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v)));
    if (this.current?.key !== identity) {
      this.current?.agent.destroy();
      this.current = { key: identity, agent: new HttpsAgent({ ...perRequest.options, keepAlive: true }) };
    }
    request.setAgent(this.current.agent);
  }
}

/** Typed API clients that all share one HTTP layer, so every request is observed. */
export interface KubeClients {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  coordination: CoordinationV1Api;
  customObjects: CustomObjectsApi;
  /** Generic create/patch/delete by manifest (server-side apply goes through `objects.patch`). */
  objects: KubernetesObjectApi;
  /** A raw JSON request over the same authenticated, counted HTTP layer; throws ApiException on non-2xx. */
  requestJson<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, options?: RawRequestOptions): Promise<T>;
}

export interface RawRequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
}

export function createKubeClients(kc: KubeConfig, observe?: ApiRequestObserver): KubeClients {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new DockmasterError('DM_ERR_KUBECONFIG', 'No current cluster in the kubeconfig.');
  const inner = new IsomorphicFetchHttpLibrary();
  const agents = new KeepAliveAgents();
  const httpApi = wrapHttpLibrary({
    async send(request: RequestContext) {
      const { verb, resource } = describeApiRequest(request.getHttpMethod(), request.getUrl());
      agents.reuseConnections(request);
      try {
        const response = await inner.send(request).toPromise();
        observe?.({ verb, resource, code: String(response.httpStatusCode) });
        return response;
      } catch (err) {
        observe?.({ verb, resource, code: 'error' });
        throw err;
      }
    },
  });
  const baseServer = new ServerConfiguration<Record<string, string>>(cluster.server, {});
  const configuration = createConfiguration({ baseServer, authMethods: { default: kc }, httpApi });

  async function requestJson<T>(method: string, path: string, options: RawRequestOptions = {}): Promise<T> {
    const request = baseServer.makeRequestContext(path, method as HttpMethod);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) request.setQueryParam(name, value);
    }
    request.setHeaderParam('Accept', 'application/json');
    if (options.body !== undefined) {
      request.setHeaderParam('Content-Type', options.contentType ?? 'application/json');
      request.setBody(JSON.stringify(options.body));
    }
    await kc.applySecurityAuthentication(request);
    const response = await httpApi.send(request).toPromise();
    const text = await response.body.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      throw new ApiException(response.httpStatusCode, `HTTP ${response.httpStatusCode} from ${method} ${path}`, parsed, response.headers);
    }
    return parsed as T;
  }

  return {
    kubeConfig: kc,
    core: new CoreV1Api(configuration),
    apps: new AppsV1Api(configuration),
    batch: new BatchV1Api(configuration),
    coordination: new CoordinationV1Api(configuration),
    customObjects: new CustomObjectsApi(configuration),
    objects: new GenericObjectApi(configuration, kc),
    requestJson,
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

/** The HTTP status of a client-node error, if it carries one. */
export function apiErrorStatus(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
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
