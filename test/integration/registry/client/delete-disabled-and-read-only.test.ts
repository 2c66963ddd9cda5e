import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage } from '../../../harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../../../harness/registry.js';
import { REGISTRY_ERROR_CODES, RegistryApiError, RegistryV2Client } from '../../../../src/registry/client/index.js';

async function rejection(promise: Promise<unknown>): Promise<RegistryApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RegistryApiError) return error;
    throw error;
  }
  throw new Error('expected a RegistryApiError');
}

// Both answers measured on distribution 2.8.2: delete disabled → 405 JSON UNSUPPORTED;
// read-only maintenance mode → 405 text/plain with `Allow: GET, HEAD`.
describe('DELETE refused by the registry', () => {
  let registry: RunningRegistry;
  let client: RegistryV2Client;
  let digest: string;

  beforeAll(async () => {
    registry = await startRegistry({ deleteEnabled: false });
    digest = (await pushImage(registry, 'app', { tags: ['v1'], seed: 'nodelete' })).digest;
    client = new RegistryV2Client({ url: registry.url, allowPlainHttp: true });
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('with deletes disabled: typed error that says how to enable them', async () => {
    const error = await rejection(client.deleteManifest('app', digest));
    expect(error).toMatchObject({ code: REGISTRY_ERROR_CODES.deleteDisabled, registryCode: 'UNSUPPORTED', status: 405, method: 'DELETE' });
    expect(error.message).toContain('storage.delete.enabled: true');
    expect(error.message).toContain('REGISTRY_STORAGE_DELETE_ENABLED=true');
    expect((await client.headManifest('app', 'v1')).digest).toBe(digest);
  });

  it('in read-only mode: typed error naming read-only mode', async () => {
    await registry.restart({ deleteEnabled: true, readOnly: true });
    const error = await rejection(client.deleteManifest('app', digest));
    expect(error).toMatchObject({ code: REGISTRY_ERROR_CODES.readOnly, registryCode: null, status: 405 });
    expect(error.message).toMatch(/read-only mode/);
    // Reads still work in read-only mode.
    expect((await client.headManifest('app', 'v1')).digest).toBe(digest);
  });
});
