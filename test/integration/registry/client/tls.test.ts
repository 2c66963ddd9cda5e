import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage } from '../../../harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../../../harness/registry.js';
import { REGISTRY_ERROR_CODES, RegistryApiError, RegistryV2Client } from '../../../../src/registry/client/index.js';

describe('TLS', () => {
  let registry: RunningRegistry;
  const clients: RegistryV2Client[] = [];
  const clientWith = (options: { caPem?: string; insecureSkipTlsVerify?: boolean }): RegistryV2Client => {
    const client = new RegistryV2Client({ url: registry.url, retries: 0, ...options });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    registry = await startRegistry({ tls: true });
    await pushImage(registry, 'secure/app', { tags: ['v1'], seed: 'tls' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await registry?.stop();
  });

  it('serves https and verifies against the given CA bundle', async () => {
    expect(registry.url).toMatch(/^https:/);
    const client = clientWith({ caPem: registry.caPem! });
    expect(await client.ping()).toEqual({ apiVersion: 'registry/2.0' });
    expect(await client.listTags('secure/app')).toEqual(['v1']);
  });

  it('fails without the CA, with a message about the CA bundle', async () => {
    const error = await clientWith({})
      .ping()
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryApiError);
    expect((error as RegistryApiError).code).toBe(REGISTRY_ERROR_CODES.tls);
    expect((error as RegistryApiError).message).toMatch(/CA bundle/);
    expect((error as RegistryApiError).message).toMatch(/insecureSkipTlsVerify/);
  });

  it('connects without verification only when told to', async () => {
    expect(await clientWith({ insecureSkipTlsVerify: true }).ping()).toEqual({ apiVersion: 'registry/2.0' });
  });
});
