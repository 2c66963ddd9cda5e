import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage } from '../../../harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../../../harness/registry.js';
import { REGISTRY_ERROR_CODES, RegistryApiError, RegistryV2Client, type RegistryRequestEvent } from '../../../../src/registry/client/index.js';

describe('HTTP basic auth (htpasswd)', () => {
  let registry: RunningRegistry;
  const clients: RegistryV2Client[] = [];
  const clientAs = (credentials: { username: string; password: string } | undefined, events?: RegistryRequestEvent[]): RegistryV2Client => {
    const client = new RegistryV2Client({ url: registry.url, allowPlainHttp: true, credentials, onRequest: (e) => events?.push(e) });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: { alice: 'correct horse' } });
    await pushImage(registry, 'private/app', { tags: ['v1', 'v2'], seed: 'basic', auth: { username: 'alice', password: 'correct horse' } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await registry?.stop();
  });

  it('answers the Basic challenge once, then authenticates up front', async () => {
    const events: RegistryRequestEvent[] = [];
    const client = clientAs({ username: 'alice', password: 'correct horse' }, events);
    expect((await client.listTags('private/app')).sort()).toEqual(['v1', 'v2']);
    expect((await client.headManifest('private/app', 'v1')).digest).toMatch(/^sha256:/);
    expect(await client.listRepositories()).toEqual(['private/app']);
    // One 401 to learn the scheme; every later request carries the credentials.
    expect(events.map((e) => e.status)).toEqual([401, 200, 200, 200]);
  });

  it('reports a wrong password clearly, naming the user but not the password', async () => {
    const error = await clientAs({ username: 'alice', password: 'wrong' })
      .listTags('private/app')
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryApiError);
    expect(error).toMatchObject({ code: REGISTRY_ERROR_CODES.auth, status: 401, registryCode: 'UNAUTHORIZED' });
    expect((error as Error).message).toMatch(/as user "alice"/);
    expect((error as Error).message).toMatch(/username\/password/);
    expect((error as Error).message).not.toContain('wrong');
  });

  it('reports missing credentials as an auth error', async () => {
    const error = await clientAs(undefined)
      .ping()
      .then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ code: REGISTRY_ERROR_CODES.auth, status: 401 });
    expect((error as Error).message).toMatch(/anonymously/);
  });
});
