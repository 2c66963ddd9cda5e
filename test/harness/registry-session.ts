import { Agent, fetch, type Headers } from 'undici';

/**
 * The fixtures' minimal HTTP side: one connection pool per push, Basic or bearer-token auth
 * answered from the registry's 401 challenge, nothing else. A test tool, deliberately not the
 * product's v2 client (which is what the fixtures help to test).
 */

/** A harness registry, or any registry URL (https ones may bring their CA). */
export type RegistryTarget = string | { url: string; caPem?: string };

export interface BasicCredentials {
  username: string;
  password: string;
}

export interface SessionResponse {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

export class FixturePushError extends Error {
  readonly code = 'DM_ERR_TEST_FIXTURE_PUSH';
  constructor(message: string) {
    super(message);
    this.name = 'FixturePushError';
  }
}

export class RegistrySession {
  readonly baseUrl: string;
  private readonly dispatcher: Agent;
  private authorization: string | undefined;

  constructor(
    target: RegistryTarget,
    private readonly credentials?: BasicCredentials,
  ) {
    this.baseUrl = (typeof target === 'string' ? target : target.url).replace(/\/+$/, '');
    const caPem = typeof target === 'string' ? undefined : target.caPem;
    this.dispatcher = new Agent({ connect: caPem ? { ca: caPem } : {} });
  }

  /** Sends a request (path relative to the registry or an absolute URL); on 401 authenticates once and retries. */
  async send(method: string, pathOrUrl: string, init: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<SessionResponse> {
    const url = new URL(pathOrUrl, this.baseUrl);
    let response = await this.once(method, url, init);
    if (response.status === 401) {
      await this.authenticate(response.headers.get('www-authenticate') ?? '');
      response = await this.once(method, url, init);
    }
    return response;
  }

  /** `send`, failing with the registry's answer unless the status is one of `expected`. */
  async expect(expected: number[], method: string, pathOrUrl: string, init: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<SessionResponse> {
    const response = await this.send(method, pathOrUrl, init);
    if (!expected.includes(response.status)) {
      throw new FixturePushError(`${method} ${pathOrUrl} on ${this.baseUrl} answered ${response.status}: ${response.bytes.toString('utf8').slice(0, 500)}`);
    }
    return response;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async once(method: string, url: URL, init: { headers?: Record<string, string>; body?: Buffer }): Promise<SessionResponse> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.authorization) headers.authorization = this.authorization;
    const res = await fetch(url, { method, headers, body: init.body, dispatcher: this.dispatcher });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  private async authenticate(challenge: string): Promise<void> {
    const basic = this.credentials ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}` : undefined;
    if (/^basic/i.test(challenge)) {
      if (!basic) throw new FixturePushError(`${this.baseUrl} asks for Basic auth (${challenge}); pass auth`);
      this.authorization = basic;
      return;
    }
    if (!/^bearer/i.test(challenge)) throw new FixturePushError(`${this.baseUrl} answered 401 with an unusable challenge: ${challenge || '(none)'}`);
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!params.realm) throw new FixturePushError(`bearer challenge without realm: ${challenge}`);
    const tokenUrl = new URL(params.realm);
    if (params.service) tokenUrl.searchParams.set('service', params.service);
    if (params.scope) for (const scope of params.scope.split(' ')) tokenUrl.searchParams.append('scope', scope);
    const res = await fetch(tokenUrl, { headers: basic ? { authorization: basic } : {}, dispatcher: this.dispatcher });
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (res.status !== 200 || !token) throw new FixturePushError(`token endpoint ${tokenUrl.toString()} answered ${res.status}`);
    this.authorization = `Bearer ${token}`;
  }
}
