import type * as z from 'zod';
import { formatIssuePath } from '../../api/schema-parse.js';
import { REGISTRY_ERROR_CODES, RegistryApiError } from './errors.js';
import type { HttpResponse } from './http.js';
import { errorBodySchema } from './schemas.js';

/** What the request was, for error messages. */
export interface RequestContext {
  method: string;
  url: string;
  /** How the request was authenticated, for 401/403 messages: "anonymous", "basic auth as alice", … */
  authDescription?: string;
}

/** The registry's first error code and message from a v2 error body, if the body is one. */
export function registryErrorOf(response: HttpResponse): { code: string; message: string } | null {
  if (response.body.length === 0) return null;
  let json: unknown;
  try {
    json = JSON.parse(response.body.toString('utf8'));
  } catch {
    return null;
  }
  const parsed = errorBodySchema.safeParse(json);
  const first = parsed.success ? parsed.data.errors[0] : undefined;
  return first ? { code: first.code, message: first.message ?? '' } : null;
}

/** Builds the typed error for a non-success answer, with a message that says what to do. */
export function errorFromResponse(context: RequestContext, response: HttpResponse): RegistryApiError {
  const { method, url } = context;
  const status = response.status;
  const registryError = registryErrorOf(response);
  const registryCode = registryError?.code ?? null;
  const said = registryError ? `${registryError.code}: ${registryError.message}` : `HTTP ${status}`;
  const base = { method, url, status, registryCode };

  if (status === 404) {
    return new RegistryApiError({ ...base, code: REGISTRY_ERROR_CODES.notFound, message: `${method} ${url}: not found (${said}).` });
  }
  if (status === 401 || status === 403) {
    const as = context.authDescription ?? 'anonymous';
    const hint =
      status === 401
        ? 'Check the username/password or token in the registry credentials (the dockerconfigjson Secret).'
        : 'The credentials are valid but lack permission for this operation: grant it on the registry or token server.';
    return new RegistryApiError({
      ...base,
      code: REGISTRY_ERROR_CODES.auth,
      message: `${method} ${url} was refused with HTTP ${status} (${said}) when authenticating ${as}. ${hint}`,
    });
  }
  if (status === 405) return methodNotAllowed(context, response, registryCode, said);
  return new RegistryApiError({
    ...base,
    code: REGISTRY_ERROR_CODES.api,
    message: `${method} ${url} failed with HTTP ${status} (${said}).`,
  });
}

// Measured on distribution 2.8.2: with `storage.delete.enabled: false` a DELETE gets 405 and the
// JSON body `UNSUPPORTED`; in read-only maintenance mode every write gets 405 `text/plain`
// "Method not allowed" with `Allow: GET, HEAD` and no error code.
function methodNotAllowed(context: RequestContext, response: HttpResponse, registryCode: string | null, said: string): RegistryApiError {
  const { method, url } = context;
  const base = { method, url, status: 405, registryCode };
  const allow = response.headers['allow'];
  const readOnly = registryCode === null && allow !== undefined && !allow.toUpperCase().includes(method.toUpperCase());
  if (readOnly) {
    return new RegistryApiError({
      ...base,
      code: REGISTRY_ERROR_CODES.readOnly,
      message:
        `${method} ${url} was refused with HTTP 405 (Allow: ${allow}): the registry is in read-only mode ` +
        `(storage.maintenance.readonly.enabled, e.g. during a garbage-collection window). Retry after the window ends.`,
    });
  }
  if (method === 'DELETE') {
    return new RegistryApiError({
      ...base,
      code: REGISTRY_ERROR_CODES.deleteDisabled,
      message:
        `DELETE ${url} was refused with HTTP 405 (${said}): deletes are disabled on this registry. ` +
        `Set storage.delete.enabled: true in its config (REGISTRY_STORAGE_DELETE_ENABLED=true) and restart it. ` +
        `(A registry in read-only maintenance mode also answers 405.)`,
    });
  }
  return new RegistryApiError({
    ...base,
    code: REGISTRY_ERROR_CODES.api,
    message: `${method} ${url} was refused with HTTP 405 (${said}); the registry may be in read-only mode.`,
  });
}

/** Parses a JSON body against `schema`, or throws a RegistryApiError naming what was wrong. */
export function parseJsonBody<S extends z.ZodType>(schema: S, context: RequestContext, response: HttpResponse, what: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(response.body.toString('utf8'));
  } catch (error) {
    throw invalidResponse(context, response.status, `${what} is not valid JSON (${(error as Error).message})`);
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${formatIssuePath(issue.path) || '(root)'}: ${issue.message}`);
  throw invalidResponse(context, response.status, `${what} does not have the expected shape: ${problems.join('; ')}`);
}

export function invalidResponse(context: RequestContext, status: number | null, problem: string): RegistryApiError {
  return new RegistryApiError({
    code: REGISTRY_ERROR_CODES.invalidResponse,
    method: context.method,
    url: context.url,
    status,
    message: `${context.method} ${context.url}: ${problem}.`,
  });
}
