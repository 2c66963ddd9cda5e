import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { pushImage } from '../../harness/fixtures.js';
import { startRegistry, TestRegistryError, type RunningRegistry } from '../../harness/registry.js';
import { startTokenIssuer, type TokenIssuer } from '../../harness/token-issuer.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function statusOf(url: string, init: { method?: string; headers?: Record<string, string>; caPem?: string } = {}): Promise<number> {
  const dispatcher = new Agent({ connect: init.caPem ? { ca: init.caPem } : {} });
  try {
    const res = await fetch(url, { method: init.method ?? 'GET', headers: init.headers, dispatcher });
    await res.arrayBuffer();
    return res.status;
  } finally {
    await dispatcher.close();
  }
}

describe('startRegistry', () => {
  const started: RunningRegistry[] = [];
  afterAll(async () => {
    await Promise.all(started.map((r) => r.stop()));
  });

  it('runs several registries at once on distinct ports, and stop() removes their temp folders', async () => {
    const registries = await Promise.all([startRegistry(), startRegistry(), startRegistry()]);
    expect(new Set(registries.map((r) => r.host)).size).toBe(3);
    for (const registry of registries) {
      expect(registry.url).toBe(`http://${registry.host}`);
      expect(await statusOf(`${registry.url}/v2/`)).toBe(200);
    }
    await Promise.all(registries.map((r) => r.stop()));
    for (const registry of registries) {
      expect(existsSync(registry.configPath)).toBe(false);
      expect(existsSync(registry.storageDir)).toBe(false);
      await expect(statusOf(`${registry.url}/v2/`)).rejects.toThrow();
    }
    await registries[0]!.stop(); // idempotent
  });

  it('htpasswd: 401 with a Basic challenge without credentials or with a wrong password, 200 with them', async () => {
    const registry = await startRegistry({ htpasswd: { alice: 'correct horse', bob: 'battery' } });
    started.push(registry);
    const anonymous = await fetch(`${registry.url}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(await statusOf(`${registry.url}/v2/`, { headers: { authorization: basic('alice', 'wrong') } })).toBe(401);
    expect(await statusOf(`${registry.url}/v2/`, { headers: { authorization: basic('alice', 'correct horse') } })).toBe(200);
    expect(await statusOf(`${registry.url}/v2/`, { headers: { authorization: basic('bob', 'battery') } })).toBe(200);
  });

  it('tls: serves https that verifies against caPem (and only with it)', async () => {
    const registry = await startRegistry({ tls: true });
    started.push(registry);
    expect(registry.url).toBe(`https://${registry.host}`);
    expect(registry.caPem).toContain('BEGIN CERTIFICATE');
    expect(await statusOf(`${registry.url}/v2/`, { caPem: registry.caPem! })).toBe(200);
    await expect(statusOf(`${registry.url}/v2/`)).rejects.toThrow();
    // Fixtures push over TLS with the registry's CA.
    const pushed = await pushImage(registry, 'secure/app', { tags: ['v1'], seed: 'tls' });
    expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('restart keeps storage, port and CA and applies overrides (readOnly on, then off)', async () => {
    const registry = await startRegistry({ tls: true });
    started.push(registry);
    const { url, caPem } = registry;
    const pushed = await pushImage(registry, 'app', { tags: ['v1'], seed: 'restart' });
    await registry.restart({ readOnly: true });
    expect(registry.url).toBe(url);
    expect(registry.caPem).toBe(caPem);
    expect(await statusOf(`${url}/v2/app/manifests/${pushed.digest}`, { method: 'HEAD', caPem, headers: { accept: pushed.mediaType } })).toBe(200);
    expect(await statusOf(`${url}/v2/app/blobs/uploads/`, { method: 'POST', caPem })).toBe(405);
    await registry.restart({ readOnly: false });
    expect(await statusOf(`${url}/v2/app/blobs/uploads/`, { method: 'POST', caPem })).toBe(202);
  });

  it('a caller-provided storageDir survives stop() and serves the same data to a new registry', async () => {
    const storageDir = await mkdtemp(path.join(tmpdir(), 'dockmaster-harness-storage-'));
    try {
      const first = await startRegistry({ storageDir });
      const pushed = await pushImage(first, 'kept/app', { tags: ['v1'], seed: 'storage' });
      await first.stop();
      expect(existsSync(path.join(storageDir, 'docker'))).toBe(true);
      const second = await startRegistry({ storageDir });
      started.push(second);
      const head = await fetch(`${second.url}/v2/kept/app/manifests/v1`, { method: 'HEAD', headers: { accept: pushed.mediaType } });
      expect(head.headers.get('docker-content-digest')).toBe(pushed.digest);
    } finally {
      await rm(storageDir, { recursive: true, force: true });
    }
  });

  it('a registry that cannot start fails with its own output in the error', async () => {
    const missing = '/nonexistent/dockmaster/tls.crt';
    const outcome = await startRegistry({ extraConfig: { http: { tls: { certificate: missing, key: missing } } } }).then(
      async (registry) => {
        await registry.stop();
        return 'started';
      },
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(TestRegistryError);
    expect((outcome as TestRegistryError).message).toMatch(/exited before answering \/v2\/[\s\S]*output tail:/);
    expect((outcome as TestRegistryError).message).toContain(missing);
  });

  it('refuses htpasswd and tokenAuth together (distribution runs one auth provider)', async () => {
    const issuer = await startTokenIssuer();
    try {
      await expect(startRegistry({ htpasswd: { a: 'b' }, tokenAuth: issuer })).rejects.toBeInstanceOf(TestRegistryError);
    } finally {
      await issuer.stop();
    }
  });
});

describe('token auth with the harness token issuer', () => {
  let issuer: TokenIssuer;
  let registry: RunningRegistry;
  afterAll(async () => {
    await registry?.stop();
    await issuer?.stop();
  });

  it('challenges with Bearer realm/service/scope, and accepts the issued ES256 token (x5c chain)', async () => {
    issuer = await startTokenIssuer({ users: { alice: 'pw', reader: 'pw' }, grants: { reader: [{ name: '*', actions: ['pull'] }] } });
    registry = await startRegistry({ tokenAuth: issuer });
    const challenge = await fetch(`${registry.url}/v2/team/app/tags/list`);
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toBe(
      `Bearer realm="${issuer.realm}",service="${issuer.service}",scope="repository:team/app:pull"`,
    );

    const tokenFor = async (user: string, password: string, scope: string): Promise<{ status: number; token?: string; expires_in?: number }> => {
      const res = await fetch(`${issuer.realm}?service=${issuer.service}&scope=${scope}`, { headers: { authorization: basic(user, password) } });
      return { status: res.status, ...((await res.json()) as { token?: string; expires_in?: number }) };
    };
    const before = issuer.requestCount;
    const granted = await tokenFor('alice', 'pw', 'repository:team/app:pull,push');
    expect(granted.status).toBe(200);
    expect(granted.expires_in).toBe(300);
    expect(issuer.requestCount).toBe(before + 1);
    expect(issuer.requests.at(-1)).toMatchObject({ username: 'alice', scopes: ['repository:team/app:pull,push'], status: 200 });
    expect(await statusOf(`${registry.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${granted.token}` } })).toBe(202);

    expect((await tokenFor('alice', 'nope', 'repository:team/app:pull')).status).toBe(401);
    const pullOnly = await tokenFor('reader', 'pw', 'repository:team/app:pull,push');
    expect(await statusOf(`${registry.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${pullOnly.token}` } })).toBe(401);
  });

  it('fixtures push through the token flow; a token from another issuer key is refused', async () => {
    const pushed = await pushImage(registry, 'team/app', { tags: ['v1'], seed: 'token', auth: { username: 'alice', password: 'pw' } });
    const token = issuer.mintToken([{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    const head = await fetch(`${registry.url}/v2/team/app/manifests/v1`, { method: 'HEAD', headers: { authorization: `Bearer ${token}`, accept: pushed.mediaType } });
    expect(head.headers.get('docker-content-digest')).toBe(pushed.digest);

    const stranger = await startTokenIssuer({ service: issuer.service, issuer: issuer.issuer });
    try {
      const forged = stranger.mintToken([{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
      expect(await statusOf(`${registry.url}/v2/team/app/manifests/v1`, { method: 'HEAD', headers: { authorization: `Bearer ${forged}` } })).toBe(401);
    } finally {
      await stranger.stop();
    }
  });

  it('the lifetime is configurable: expires_in follows lifetimeSeconds', async () => {
    issuer.lifetimeSeconds = 2;
    const res = await fetch(`${issuer.realm}?service=${issuer.service}&scope=repository:team/app:pull`, { headers: { authorization: basic('alice', 'pw') } });
    expect(((await res.json()) as { expires_in: number }).expires_in).toBe(2);
    issuer.lifetimeSeconds = 300;
  });
});
