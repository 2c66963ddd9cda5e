import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage } from '../../../harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../../../harness/registry.js';
import { startTokenIssuer, type TokenIssuer } from '../../../harness/token-issuer.js';
import { RegistryApiError, RegistryV2Client } from '../../../../src/registry/client/index.js';

// The registry is real (distribution 2.8.2 with auth.token); only the token issuer is ours.
describe('bearer-token auth driven by the WWW-Authenticate challenge', () => {
  let issuer: TokenIssuer;
  let registry: RunningRegistry;
  const clients: RegistryV2Client[] = [];
  const clientAs = (credentials?: { username: string; password: string }): RegistryV2Client => {
    const client = new RegistryV2Client({ url: registry.url, allowPlainHttp: true, credentials });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    issuer = await startTokenIssuer({ users: { bob: 'hunter2' } });
    registry = await startRegistry({ tokenAuth: issuer });
    await pushImage(registry, 'team/app', { tags: ['v1', 'v2'], seed: 'token', auth: { username: 'bob', password: 'hunter2' } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await registry?.stop();
    await issuer?.stop();
  });

  it('fetches a token for the challenged scope and caches it until expiry', async () => {
    const client = clientAs({ username: 'bob', password: 'hunter2' });
    issuer.resetRequests();
    expect((await client.listTags('team/app')).sort()).toEqual(['v1', 'v2']);
    const afterFirst = issuer.requestCount;
    expect(afterFirst).toBe(1);
    // Same scope again: served from the cache, no new token.
    expect((await client.headManifest('team/app', 'v1')).digest).toMatch(/^sha256:/);
    expect((await client.listTags('team/app')).sort()).toEqual(['v1', 'v2']);
    expect(issuer.requestCount).toBe(afterFirst);
  });

  it('refuses wrong credentials at the token issuer with a typed error', async () => {
    const error = await clientAs({ username: 'bob', password: 'wrong' })
      .listTags('team/app')
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryApiError);
    expect((error as Error).message).not.toContain('wrong');
  });
});
