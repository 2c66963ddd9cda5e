import { REGISTRY_ERROR_CODES, RegistryApiError } from './errors.js';
import type { HttpTransport } from './http.js';
import { errorFromResponse, parseJsonBody } from './response-errors.js';
import { tokenResponseSchema } from './schemas.js';

/** Username/password (HTTP basic, or basic at the token server), or a ready bearer token. */
export type RegistryCredentials = { username: string; password: string } | { token: string };

export interface AuthChallenge {
  /** Lower-cased: `basic`, `bearer`. */
  scheme: string;
  /** Lower-cased parameter names; values unquoted. */
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header (RFC 9110 §11.6.1) into its challenges. Quoted values may
 * hold commas and escaped quotes — distribution's scope lists do (`scope="repository:a:pull,push"`)
 * — so a split on "," would break them.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let current: AuthChallenge | null = null;
  let i = 0;
  const n = header.length;
  const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';
  const readToken = (): string => {
    const start = i;
    while (i < n && !/[\s,="]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    while (i < n && (isSpace(header[i]) || header[i] === ',')) i++;
    const token = readToken();
    if (token === '') {
      i++; // a stray character; skip it rather than loop forever
      continue;
    }
    let j = i;
    while (j < n && isSpace(header[j])) j++;
    if (header[j] !== '=') {
      current = { scheme: token.toLowerCase(), params: {} };
      challenges.push(current);
      continue;
    }
    i = j + 1;
    while (i < n && isSpace(header[i])) i++;
    let value = '';
    if (header[i] === '"') {
      i++;
      while (i < n && header[i] !== '"') {
        if (header[i] === '\\' && i + 1 < n) i++;
        value += header[i];
        i++;
      }
      i++; // closing quote
    } else {
      value = readToken();
    }
    if (current) current.params[token.toLowerCase()] = value;
  }
  return challenges;
}

/** The access a request needs, in the token-spec scope syntax distribution checks against. */
export function scopeForRequest(method: string, repository: string | null): string {
  if (repository === null) return 'registry:catalog:*';
  // distribution (registry/handlers/app.go) asks for `pull` on GET/HEAD, `delete` on DELETE and
  // `pull,push` on the writes of an upload.
  if (method === 'POST' || method === 'PUT') return `repository:${repository}:pull,push`;
  return `repository:${repository}:${method === 'DELETE' ? 'delete' : 'pull'}`;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface RegistryAuthenticatorOptions {
  credentials?: RegistryCredentials;
  transport: HttpTransport;
  /** Whether a token realm may be plain http:// (it receives the password). */
  allowPlainHttp: boolean;
  now?: () => number;
}

/** The token lifetime the docker token spec implies when `expires_in` is absent. */
const DEFAULT_TOKEN_LIFETIME_S = 60;

/**
 * Answers registry auth challenges: HTTP basic, or the bearer-token flow (fetch a token from the
 * challenge's realm for its service and scope, with basic credentials when we have them). Tokens
 * are cached per (realm, service, scope) until shortly before they expire, and concurrent
 * requests needing the same token share one fetch. Once a registry has challenged, later
 * requests authenticate up front, so a scan does not pay a 401 round trip per request.
 */
export class RegistryAuthenticator {
  private scheme: 'unknown' | 'basic' | 'bearer' = 'unknown';
  private bearer: { realm: string; service: string | undefined } | null = null;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly now: () => number;

  constructor(private readonly options: RegistryAuthenticatorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** How requests are authenticated, for error messages (never includes the secret). */
  describe(): string {
    const credentials = this.options.credentials;
    if (!credentials) return 'anonymously';
    if ('token' in credentials) return 'with a static bearer token';
    return `as user "${credentials.username}"`;
  }

  /** The Authorization header to send up front for `scope`, if the registry's scheme is known. */
  async authorizationFor(scope: string): Promise<string | undefined> {
    const credentials = this.options.credentials;
    if (credentials && 'token' in credentials) return `Bearer ${credentials.token}`;
    if (this.scheme === 'basic') return this.basicHeader();
    if (this.scheme === 'bearer' && this.bearer) {
      const { token } = await this.tokenFor(this.bearer.realm, this.bearer.service, scope);
      return `Bearer ${token}`;
    }
    return undefined;
  }

  /**
   * Learns from a 401's `WWW-Authenticate` header and returns the Authorization header to retry
   * with, or undefined when the challenge cannot be answered (no credentials for basic, unknown
   * scheme, a static token already rejected).
   */
  async answerChallenge(header: string | undefined, scope: string): Promise<string | undefined> {
    const credentials = this.options.credentials;
    if (header === undefined || (credentials && 'token' in credentials)) return undefined;
    const challenges = parseWwwAuthenticate(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    if (bearer) {
      const realm = bearer.params.realm!;
      const service = bearer.params.service;
      this.scheme = 'bearer';
      this.bearer = { realm, service };
      const challengedScope = bearer.params.scope ?? scope;
      // The token we sent (if any) was not good enough: fetch a fresh one for the asked scope.
      this.tokens.delete(tokenKey(realm, service, challengedScope));
      const cached = await this.tokenFor(realm, service, challengedScope);
      // Later requests look the token up by the scope we predict for them; keep it there too.
      if (challengedScope !== scope) this.tokens.set(tokenKey(realm, service, scope), cached);
      return `Bearer ${cached.token}`;
    }
    if (challenges.some((c) => c.scheme === 'basic') && credentials) {
      this.scheme = 'basic';
      return this.basicHeader();
    }
    return undefined;
  }

  private basicHeader(): string | undefined {
    const credentials = this.options.credentials;
    if (!credentials || !('username' in credentials)) return undefined;
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  private tokenFor(realm: string, service: string | undefined, scope: string): Promise<CachedToken> {
    const key = tokenKey(realm, service, scope);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.now()) return Promise.resolve(cached);
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const fetching = this.fetchToken(realm, service, scope)
      .then(({ token, lifetimeMs }) => {
        // Renew a tenth of the lifetime (at most 30 s) early, so a token never expires in flight.
        const margin = Math.min(30_000, lifetimeMs / 10);
        const fresh = { token, expiresAt: this.now() + lifetimeMs - margin };
        this.tokens.set(key, fresh);
        return fresh;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, fetching);
    return fetching;
  }

  private async fetchToken(realm: string, service: string | undefined, scope: string): Promise<{ token: string; lifetimeMs: number }> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw this.tokenError(realm, `the challenge's realm "${realm}" is not a URL`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.options.allowPlainHttp)) {
      throw this.tokenError(realm, `the token realm ${url.origin} is not https:// (set allowPlainHttp to allow plain HTTP)`);
    }
    if (service !== undefined) url.searchParams.set('service', service);
    for (const part of scope.split(' ').filter(Boolean)) url.searchParams.append('scope', part);
    const basic = this.basicHeader();
    const context = { method: 'GET', url: url.toString(), authDescription: `at the token server ${this.describe()}` };
    const response = await this.options.transport.request({
      method: 'GET',
      url: context.url,
      headers: basic ? { authorization: basic, accept: 'application/json' } : { accept: 'application/json' },
      kind: 'token',
    });
    if (response.status !== 200) throw errorFromResponse(context, response);
    const body = parseJsonBody(tokenResponseSchema, context, response, 'token response');
    const token = (body.token ?? body.access_token)!;
    return { token, lifetimeMs: (body.expires_in ?? DEFAULT_TOKEN_LIFETIME_S) * 1000 };
  }

  private tokenError(realm: string, problem: string): RegistryApiError {
    return new RegistryApiError({ code: REGISTRY_ERROR_CODES.auth, method: 'GET', url: realm, message: `Cannot fetch a registry token: ${problem}.` });
  }
}

function tokenKey(realm: string, service: string | undefined, scope: string): string {
  return JSON.stringify([realm, service ?? '', scope]);
}
