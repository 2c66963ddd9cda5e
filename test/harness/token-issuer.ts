import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSigningCertificate } from './tls.js';

/**
 * A small Docker token server for tests (the "realm" of distribution's `auth.token`): GET
 * `realm?service=…&scope=repository:<name>:pull,push` with optional Basic credentials answers
 * `{token, access_token, expires_in, issued_at}`. Tokens are ES256 JWTs whose header carries the
 * signing certificate in `x5c`; distribution 2.8 verifies that chain against `rootcertbundle`
 * (the same certificate), which avoids reproducing libtrust's `kid` format.
 *
 * Distribution 2.8 accepts a token up to 60 s after `exp` (jwt leeway), so expiry tests should
 * observe the client's cache through `requestCount`, not through the registry refusing it.
 */

export interface TokenGrant {
  /** Resource type of the scope: `repository` (default) or `registry` (for `registry:catalog:*`). */
  type?: string;
  /** Repository name, or `*` for any. */
  name: string;
  /** Actions granted (`pull`, `push`, `delete`, `*`); `*` grants whatever was asked. */
  actions: string[];
}

export interface TokenIssuerOptions {
  /** user -> password accepted in Basic auth. Wrong credentials answer 401. */
  users?: Record<string, string>;
  /** Per-user grants; a user without an entry gets every action asked for. */
  grants?: Record<string, TokenGrant[]>;
  /** Grants for requests without credentials (default none: an anonymous token grants nothing). */
  anonymousGrants?: TokenGrant[];
  /** `expires_in` of new tokens (default 300 s); also settable later on the issuer. */
  lifetimeSeconds?: number;
  service?: string;
  issuer?: string;
}

export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenRequestRecord {
  username: string | undefined;
  service: string | null;
  scopes: string[];
  status: number;
  at: Date;
}

export interface TokenIssuer {
  /** e.g. http://127.0.0.1:43210/token */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM the registry trusts as `auth.token.rootcertbundle`. */
  readonly rootCertBundlePem: string;
  /** Lifetime of tokens issued from now on. */
  lifetimeSeconds: number;
  /** Token requests answered so far (any status). */
  readonly requestCount: number;
  readonly requests: readonly TokenRequestRecord[];
  resetRequests(): void;
  /** Signs a token directly, e.g. one already expired (`lifetimeSeconds` negative). */
  mintToken(access: TokenAccess[], options?: { subject?: string; lifetimeSeconds?: number }): string;
  stop(): Promise<void>;
}

export async function startTokenIssuer(options: TokenIssuerOptions = {}): Promise<TokenIssuer> {
  const signing = await createSigningCertificate('dockmaster test token signer');
  const state = new TokenIssuerState(options, createPrivateKey(signing.keyPem), pemToDerBase64(signing.certPem), signing.certPem);
  const server = createServer((req, res) => state.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  state.realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  state.server = server;
  return state;
}

class TokenIssuerState implements TokenIssuer {
  realm = '';
  server: Server | undefined;
  readonly service: string;
  readonly issuer: string;
  lifetimeSeconds: number;
  requests: TokenRequestRecord[] = [];

  constructor(
    private readonly options: TokenIssuerOptions,
    private readonly key: KeyObject,
    private readonly certDerBase64: string,
    readonly rootCertBundlePem: string,
  ) {
    this.service = options.service ?? 'dockmaster-test-registry';
    this.issuer = options.issuer ?? 'dockmaster-test-token-issuer';
    this.lifetimeSeconds = options.lifetimeSeconds ?? 300;
  }

  get requestCount(): number {
    return this.requests.length;
  }

  resetRequests(): void {
    this.requests = [];
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.realm);
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter((s) => s.length > 0);
    const record: TokenRequestRecord = { username: undefined, service: url.searchParams.get('service'), scopes, status: 200, at: new Date() };
    this.requests.push(record);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || url.pathname !== '/token') return reply(404, { errors: [{ code: 'NOT_FOUND' }] });
    const user = this.authenticate(req.headers.authorization);
    if (user === false) return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }, { 'www-authenticate': 'Basic realm="token"' });
    record.username = user;
    const grants = user === undefined ? (this.options.anonymousGrants ?? []) : this.options.grants?.[user];
    const access = scopes.map(parseScope).filter((a): a is TokenAccess => a !== undefined).map((asked) => grantedAccess(asked, grants));
    const token = this.mintToken(access.filter((a) => a.actions.length > 0), { subject: user ?? '' });
    reply(200, { token, access_token: token, expires_in: this.lifetimeSeconds, issued_at: new Date().toISOString() });
  }

  /** The user name, `undefined` for anonymous, `false` for wrong credentials. */
  private authenticate(header: string | undefined): string | undefined | false {
    if (!header) return undefined;
    if (!header.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    const expected = this.options.users?.[user];
    return colon > 0 && expected !== undefined && expected === decoded.slice(colon + 1) ? user : false;
  }

  mintToken(access: TokenAccess[], options: { subject?: string; lifetimeSeconds?: number } = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = options.lifetimeSeconds ?? this.lifetimeSeconds;
    const header = { typ: 'JWT', alg: 'ES256', x5c: [this.certDerBase64] };
    const claims = {
      iss: this.issuer,
      sub: options.subject ?? '',
      // A string, not an array: distribution 2.8's ClaimSet declares `aud` as a string.
      aud: this.service,
      exp: now + lifetime,
      nbf: Math.min(now, now + lifetime) - 1,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    // JWS ES256 wants the raw r||s signature, not DER.
    const signature = sign('sha256', Buffer.from(signingInput), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${base64url(signature)}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** `repository:team/app:pull,push` → {type, name, actions}; the name may not contain `:` but the split is from both ends anyway. */
function parseScope(scope: string): TokenAccess | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

function grantedAccess(asked: TokenAccess, grants: TokenGrant[] | undefined): TokenAccess {
  if (grants === undefined) return asked;
  const allowed = new Set<string>();
  for (const grant of grants) {
    if ((grant.type ?? 'repository') !== asked.type) continue;
    if (grant.name !== '*' && grant.name !== asked.name) continue;
    for (const action of grant.actions) {
      if (action === '*') asked.actions.forEach((a) => allowed.add(a));
      else allowed.add(action);
    }
  }
  return { ...asked, actions: asked.actions.filter((a) => allowed.has(a)) };
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function pemToDerBase64(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}
