/**
 * The only writes dockmaster makes to a registry: the pull canary's image (pull-tracking/canary.ts),
 * a blob uploaded in one piece and a manifest under a tag, behind htpasswd auth. Runs on 2.8.2 and
 * 3.1.2 (registry-3.1.2 project); skopeo, an independent client, reads the image back.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PULL_CANARY_CONFIG,
  PULL_CANARY_MANIFEST,
  PULL_CANARY_MANIFEST_MEDIA_TYPE,
  PULL_CANARY_REPOSITORY,
  PULL_CANARY_TAG,
} from '../../../../src/managed-registry/pull-canary-image.js';
import { RegistryApiError, RegistryV2Client } from '../../../../src/registry/client/index.js';
import { startRegistry, type RunningRegistry } from '../../../harness/registry.js';

const run = promisify(execFile);

describe('pushing the pull canary image', () => {
  let registry: RunningRegistry;
  let client: RegistryV2Client;

  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: { robot: 'secret' } });
    client = new RegistryV2Client({ url: registry.url, allowPlainHttp: true, credentials: { username: 'robot', password: 'secret' } });
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('uploads the config blob and puts the manifest; HEAD and skopeo read it back, and pushing again changes nothing', async () => {
    const digest = await client.uploadBlob(PULL_CANARY_REPOSITORY, PULL_CANARY_CONFIG);
    expect(digest).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    await client.putManifest(PULL_CANARY_REPOSITORY, PULL_CANARY_TAG, PULL_CANARY_MANIFEST_MEDIA_TYPE, PULL_CANARY_MANIFEST);
    const head = await client.headManifest(PULL_CANARY_REPOSITORY, PULL_CANARY_TAG);
    expect(head.mediaType).toBe(PULL_CANARY_MANIFEST_MEDIA_TYPE);
    const { stdout } = await run('skopeo', ['--insecure-policy', 'inspect', '--raw', '--tls-verify=false', '--creds', 'robot:secret', `docker://${new URL(registry.url).host}/${PULL_CANARY_REPOSITORY}:${PULL_CANARY_TAG}`]);
    expect(Buffer.from(stdout).equals(PULL_CANARY_MANIFEST)).toBe(true);
    await client.uploadBlob(PULL_CANARY_REPOSITORY, PULL_CANARY_CONFIG);
    await client.putManifest(PULL_CANARY_REPOSITORY, PULL_CANARY_TAG, PULL_CANARY_MANIFEST_MEDIA_TYPE, PULL_CANARY_MANIFEST);
    expect((await client.headManifest(PULL_CANARY_REPOSITORY, PULL_CANARY_TAG)).digest).toBe(head.digest);
  });

  it('without credentials the upload is refused as an auth error, and nothing is stored', async () => {
    const anonymous = new RegistryV2Client({ url: registry.url, allowPlainHttp: true });
    try {
      const error = await anonymous.uploadBlob('other/repo', Buffer.from('x')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryApiError);
      expect((error as RegistryApiError).status).toBe(401);
    } finally {
      await anonymous.close();
    }
    expect(await client.listRepositories()).toEqual([PULL_CANARY_REPOSITORY]);
  });
});
