import { DockmasterError } from '../../errors.js';

/**
 * Stable codes of the registry-client failure family. Callers match on these (and on
 * `registryCode`, the registry's own error code), never on message text.
 */
export const REGISTRY_ERROR_CODES = {
  /** The registry answered with an HTTP error not covered by a more specific code. */
  api: 'DM_ERR_REGISTRY_API',
  /** 404: repository, manifest or blob unknown (`registryCode` says which). */
  notFound: 'DM_ERR_REGISTRY_NOT_FOUND',
  /** 401/403 after authenticating, or a token request that failed. */
  auth: 'DM_ERR_REGISTRY_AUTH',
  /** 405 UNSUPPORTED on DELETE: `storage.delete.enabled` is false. */
  deleteDisabled: 'DM_ERR_REGISTRY_DELETE_DISABLED',
  /** DELETE of a tag answered 400 DIGEST_INVALID: distribution 2.x, which cannot untag. */
  untagUnsupported: 'DM_ERR_REGISTRY_UNTAG_UNSUPPORTED',
  /** 405 with `Allow: GET, HEAD`: the registry runs in read-only maintenance mode. */
  readOnly: 'DM_ERR_REGISTRY_READ_ONLY',
  /** The body did not match the shape the v2 API promises (or was not JSON). */
  invalidResponse: 'DM_ERR_REGISTRY_INVALID_RESPONSE',
  /** Content did not hash to the digest the registry (or the caller) named. */
  digestMismatch: 'DM_ERR_REGISTRY_DIGEST_MISMATCH',
  /** No HTTP answer at all: refused, reset, DNS, timeout (after the retries). */
  unreachable: 'DM_ERR_REGISTRY_UNREACHABLE',
  /** The TLS handshake failed (unknown CA, wrong host name, expired certificate). */
  tls: 'DM_ERR_REGISTRY_TLS',
  /** The caller asked for something the client refuses (e.g. DELETE by tag). */
  badRequest: 'DM_ERR_REGISTRY_BAD_REQUEST',
  /** A read limit was reached (pages, items, bytes, time): the answer is not trusted. */
  limit: 'DM_ERR_REGISTRY_LIMIT',
  /** An exchange outlived its deadline (a body trickled, headers never came). */
  timeout: 'DM_ERR_REGISTRY_TIMEOUT',
  /** The host or its address is not one the operator may reach on a tenant's behalf. */
  addressRefused: 'DM_ERR_REGISTRY_ADDRESS_REFUSED',
} as const;

export type RegistryErrorCode = (typeof REGISTRY_ERROR_CODES)[keyof typeof REGISTRY_ERROR_CODES];

export interface RegistryApiErrorDetails {
  code: RegistryErrorCode;
  message: string;
  /** The registry's own error code from the `{"errors":[{"code":...}]}` body, e.g. MANIFEST_UNKNOWN. */
  registryCode?: string | null;
  /** HTTP status, or null when no answer was received. */
  status?: number | null;
  method: string;
  url: string;
  cause?: unknown;
  /** For DM_ERR_REGISTRY_LIMIT: which read limit was reached (read-limits.ts). */
  limit?: string;
}

/** Any failure talking to a registry; carries what the registry said and what to do about it. */
export class RegistryApiError extends DockmasterError {
  readonly registryCode: string | null;
  readonly status: number | null;
  readonly method: string;
  readonly url: string;
  readonly limit: string | undefined;

  constructor(details: RegistryApiErrorDetails) {
    super(details.code, details.message, details.cause === undefined ? undefined : { cause: details.cause });
    this.registryCode = details.registryCode ?? null;
    this.status = details.status ?? null;
    this.method = details.method;
    this.url = details.url;
    this.limit = details.limit;
  }
}

/** The client was configured in a way it refuses (plain HTTP not allowed, bad URL, bad option). */
export class RegistryClientConfigError extends DockmasterError {
  constructor(message: string) {
    super('DM_ERR_REGISTRY_CLIENT_CONFIG', message);
  }
}

/** True when `error` is a RegistryApiError for something the registry does not have. */
export function isRegistryNotFound(error: unknown): error is RegistryApiError {
  return error instanceof RegistryApiError && error.code === REGISTRY_ERROR_CODES.notFound;
}

/** Node/undici error codes raised when the TLS handshake rejects the server certificate. */
const TLS_ERROR_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** The `code` of an error or of the first error in its cause chain that has one. */
export function systemErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = current.cause;
  }
  return undefined;
}

/** Turns a network-level failure (no HTTP answer) into a RegistryApiError that says what to check. */
export function connectionError(method: string, url: string, error: unknown, attempts: number): RegistryApiError {
  const code = systemErrorCode(error) ?? 'UNKNOWN';
  const reason = error instanceof Error ? error.message : String(error);
  if (TLS_ERROR_CODES.has(code)) {
    return new RegistryApiError({
      code: REGISTRY_ERROR_CODES.tls,
      method,
      url,
      cause: error,
      message:
        `TLS verification of ${new URL(url).origin} failed (${code}: ${reason}). ` +
        `Give the client the CA bundle that signed the registry's certificate (caPem / the caSecret of the policy), ` +
        `or, for a test registry only, set insecureSkipTlsVerify.`,
    });
  }
  return new RegistryApiError({
    code: REGISTRY_ERROR_CODES.unreachable,
    method,
    url,
    cause: error,
    message: `${method} ${url} got no answer after ${attempts} attempt(s) (${code}: ${reason}). Check that the registry is running and reachable.`,
  });
}
