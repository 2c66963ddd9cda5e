/**
 * `insecureSkipTlsVerify` covers the registry's own origin only: a token realm on another origin
 * with a certificate nobody can check gets no credentials, even from an insecure client.
 */
import { createServer, type Server } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServingCertificate } from '../../../../src/admission/certs/issue-certificates.js';
import { RegistryApiError, RegistryV2Client } from '../../../../src/registry/client/index.js';

async function selfSigned(): Promise<{ cert: string; key: string }> {
  const now = new Date();
  const ca = await createCertificateAuthority({ commonName: 'nobody-trusts-me', now, lifetimeMs: 3_600_000 });
  const serving = await issueServingCertificate({ ca, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], now, lifetimeMs: 3_600_000 });
  return { cert: serving.certPem, key: serving.keyPem };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('insecureSkipTlsVerify is scoped to the registry origin', () => {
  let registry: Server;
  let realm: Server;
  let realmUrl = '';
  let registryUrl = '';
  let realmRequests = 0;

  beforeAll(async () => {
    realm = createServer(await selfSigned(), (req, res) => {
      realmRequests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 't', expires_in: 300 }));
    });
    realmUrl = await listen(realm);
    registry = createServer(await selfSigned(), (req, res) => {
      if (req.headers.authorization === 'Bearer t') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'app', tags: ['v1'] }));
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${realmUrl}/token",service="registry"`, 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED' }] }));
    });
    registryUrl = await listen(registry);
  });

  afterAll(async () => {
    await new Promise((resolve) => registry?.close(resolve));
    await new Promise((resolve) => realm?.close(resolve));
  });

  it('talks to the insecure registry, and refuses the unverifiable realm on another origin', async () => {
    const client = new RegistryV2Client({ url: registryUrl, insecureSkipTlsVerify: true, credentials: { username: 'u', password: 'p' }, retries: 0 });
    try {
      const error = await client.listTags('app').then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryApiError);
      expect((error as RegistryApiError).code).toBe('DM_ERR_REGISTRY_TLS');
      expect(realmRequests).toBe(0);
    } finally {
      await client.close();
    }
  });
});
