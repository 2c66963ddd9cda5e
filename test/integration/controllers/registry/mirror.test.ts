import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { sharedControlPlane, uniqueNamespaceName } from '../../../controlplane/shared.js';
import { startRegistry, type RunningRegistry } from '../../../harness/registry.js';
import { pushImage, pushIndex } from '../../../harness/fixtures.js';
import { LOCAL_URL_ANNOTATION } from '../../../kubelet/stand-in-kubelet.js';
import { eventually } from '../../runtime/wait.js';
import { startRetentionOperator, type RetentionOperator } from '../retention-policy/retention-operator.js';

const run = promisify(execFile);
// bcrypt (cost 5) of "s3cret" for user "dockmaster": the mirror's own users.
const MIRROR_HTPASSWD = 'dockmaster:$2b$05$JezLqmb71FhrFY/nIJpNpOjtGol7uFMcOE8Hvsr8Dil4ID74GkiNW\n';
const MIRROR_LOGIN = 'dockmaster:s3cret';
const UPSTREAM_USER = { username: 'hub', password: 'hub-pass' };
const TWO_PLATFORMS = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }];

/** A TCP forwarder in front of the upstream: closing it takes the upstream off the network, reopening brings it back. */
class Link {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: number) {}
  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

interface RegistryView {
  status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
}

// A mirror (spec.proxy) of a real docker-registry upstream with htpasswd auth, run by the stand-in
// kubelet as distribution 3.1.2 (registry:3.1.2), pulled through with skopeo.
describe('a mirror Registry (spec.proxy) of a real upstream', () => {
  let op: RetentionOperator;
  let upstream: RunningRegistry;
  let link: Link;
  let remoteURL: string;
  let mirrorHost: string;
  const ns = uniqueNamespaceName('mirror');
  const digests: Record<string, string> = {};

  const skopeo = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    run('skopeo', ['--insecure-policy', ...args], { timeout: 60_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const inspectRaw = (reference: string) => skopeo('inspect', '--raw', '--tls-verify=false', '--creds', MIRROR_LOGIN, `docker://${mirrorHost}/${reference}`);
  const registry = async (): Promise<RegistryView> => (await op.user.requestJson('GET', `/apis/dockmaster.dev/v1alpha1/namespaces/${ns}/registries/hub`)) as RegistryView;
  const condition = async (type: string) => (await registry()).status?.conditions?.find((c) => c.type === type);
  const secret = (name: string, stringData: Record<string, string>) => op.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData } as never);
  /** The upstream login as `docker login` stores it: a kubernetes.io/dockerconfigjson Secret. */
  const hubCredentials = (password: string) =>
    op.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'hub-creds' },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: { '.dockerconfigjson': JSON.stringify({ auths: { [new URL(remoteURL).host]: { auth: Buffer.from(`${UPSTREAM_USER.username}:${password}`).toString('base64') } } }) },
    } as never);

  beforeAll(async () => {
    upstream = await startRegistry({ version: '2.8.2', htpasswd: { [UPSTREAM_USER.username]: UPSTREAM_USER.password } });
    const auth = UPSTREAM_USER;
    digests.app = (await pushImage(upstream.url, 'library/app', { tags: ['1'], seed: 'app', auth })).digest;
    digests.multi = (await pushIndex(upstream.url, 'library/multi', { tags: ['latest'], platforms: TWO_PLATFORMS, seed: 'multi', auth })).digest;
    digests.other = (await pushImage(upstream.url, 'library/other', { tags: ['1'], seed: 'other', auth })).digest;
    link = new Link(Number(new URL(upstream.url).port));
    await link.open();
    remoteURL = `http://127.0.0.1:${link.port}`;
    op = await startRetentionOperator(ns);
    await hubCredentials(UPSTREAM_USER.password);
    await secret('mirror-users', { htpasswd: MIRROR_HTPASSWD, username: 'dockmaster', password: 's3cret' });
    await op.apply({
      apiVersion: 'dockmaster.dev/v1alpha1',
      kind: 'Registry',
      metadata: { name: 'hub' },
      spec: { image: 'registry:3.1.2', storage: { emptyDir: {} }, auth: { htpasswdSecret: 'mirror-users' }, proxy: { remoteURL, credentialsSecret: 'hub-creds', ttl: '72h' } },
    } as never);
    await eventually(async () => {
      const dep = (await op.user.apps.readNamespacedDeployment({ name: 'hub-registry', namespace: ns })) as V1Deployment;
      const url = dep.metadata?.annotations?.[LOCAL_URL_ANNOTATION];
      expect(url, op.kubelet.lastError(ns, 'hub-registry')).toBeTruthy();
      mirrorHost = new URL(url ?? '').host;
      expect((await condition('UpstreamReachable'))?.status).toBe('True');
    }, 90_000, 250);
  }, 180_000);

  afterAll(async () => {
    await op?.stop();
    await link?.close();
    await upstream?.stop();
  });

  it('renders the proxy section with the spec TTL and no credentials in the ConfigMap; they reach the pod from a Secret (a dockerconfigjson here)', async () => {
    const cm = (await op.user.core.readNamespacedConfigMap({ name: 'hub-registry-config', namespace: ns })) as V1ConfigMap;
    const config = parse(cm.data?.['config.yml'] ?? '') as { proxy: unknown };
    expect(config.proxy).toEqual({ remoteurl: remoteURL, ttl: '72h' });
    expect(cm.data?.['config.yml']).not.toContain(UPSTREAM_USER.password);
    expect((await condition('UpstreamReachable'))?.message).toContain('with the configured credentials');
  });

  it('kubectl get registries shows that it is a mirror, and of what', async () => {
    const { stdout } = await run('kubectl', ['--kubeconfig', sharedControlPlane().kubeconfigPath, '-n', ns, 'get', 'registries']);
    process.stderr.write(`[mirror] kubectl get registries:\n${stdout}`);
    expect(stdout.split('\n')[0]).toMatch(/NAME\s+ENDPOINT\s+READY\s+READONLY\s+LAST GC\s+MIRROR\s+AGE/);
    expect(stdout).toMatch(new RegExp(`hub\\s+hub\\.${ns}\\.svc:5000\\s+True\\s+false\\s+${remoteURL.replace(/[.:/]/g, '\\$&')}`));
  });

  it('pulls through the mirror with the upstream digests, every platform of an index included', async () => {
    const app = await inspectRaw('library/app:1');
    expect(app.code, app.stderr).toBe(0);
    expect(`sha256:${(await import('node:crypto')).createHash('sha256').update(app.stdout).digest('hex')}`).toBe(digests.app);
    const layout = await mkdtemp(path.join(tmpdir(), 'mirror-oci-'));
    try {
      const copied = await skopeo('copy', '--all', '--src-tls-verify=false', '--src-creds', MIRROR_LOGIN, `docker://${mirrorHost}/library/multi:latest`, `oci:${layout}:latest`);
      expect(copied.code, copied.stderr).toBe(0);
      const index = JSON.parse((await run('cat', [path.join(layout, 'index.json')])).stdout) as { manifests: Array<{ digest: string }> };
      expect(index.manifests[0]?.digest).toBe(digests.multi);
    } finally {
      await rm(layout, { recursive: true, force: true });
    }
  });

  it('refuses pushes (distribution\'s proxy mode)', async () => {
    await expect(pushImage(`http://${mirrorHost}`, 'library/pushed', { tags: ['1'], seed: 'pushed', auth: { username: 'dockmaster', password: 's3cret' } })).rejects.toThrow(/405|UNSUPPORTED|unsupported/i);
  });

  it('with the upstream down: cached images still pull, uncached ones fail clearly, and UpstreamReachable says so', async () => {
    await link.close();
    try {
      const cached = await inspectRaw('library/app:1');
      expect(cached.code, cached.stderr).toBe(0);
      const uncached = await inspectRaw('library/other:1');
      expect(uncached.code).not.toBe(0);
      expect(uncached.stderr).toMatch(/manifest unknown|not found|unknown|error/i);
      await eventually(async () => {
        const reachable = await condition('UpstreamReachable');
        expect(reachable?.status).toBe('False');
        expect(reachable?.reason).toBe('UpstreamUnreachable');
        expect(reachable?.message).toContain('Cached content is still served');
      }, 60_000, 500);
    } finally {
      await link.open();
    }
    await eventually(async () => expect((await condition('UpstreamReachable'))?.status).toBe('True'), 60_000, 500);
  }, 120_000);

  it('wrong upstream credentials make the mirror Degraded with the fix; right ones clear it', async () => {
    await hubCredentials('wrong');
    await eventually(async () => {
      const degraded = await condition('Degraded');
      expect(degraded?.status).toBe('True');
      expect(degraded?.reason).toBe('UpstreamCredentialsRejected');
      expect(degraded?.message).toMatch(/refused the credentials of spec.proxy.credentialsSecret \(HTTP 401\).*Fix the username and password keys of Secret "hub-creds"/);
    }, 60_000, 500);
    await hubCredentials(UPSTREAM_USER.password);
    await eventually(async () => expect((await condition('Degraded'))?.status).toBe('False'), 60_000, 500);
  }, 120_000);

  it('a RetentionPolicy on a mirror is refused with the reason', async () => {
    await op.apply({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'RetentionPolicy', metadata: { name: 'on-mirror' }, spec: { registryRef: { name: 'hub' }, keep: [{ mostRecent: 1 }] } } as never);
    await eventually(async () => {
      const rp = (await op.user.requestJson('GET', `/apis/dockmaster.dev/v1alpha1/namespaces/${ns}/retentionpolicies/on-mirror`)) as RegistryView;
      const refused = rp.status?.conditions?.find((c) => c.reason === 'TargetIsMirror');
      expect(refused?.message).toMatch(/Registry hub is a mirror of .* TTL expiry/);
    }, 60_000, 500);
  });

  it('why a mirror has no GC windows: in read-only mode distribution 3.1.2 still fills its cache (writes to storage) on a pull', async () => {
    const readOnlyMirror = await startRegistry({
      version: '3.1.2',
      readOnly: true,
      extraConfig: { proxy: { remoteurl: remoteURL, username: UPSTREAM_USER.username, password: UPSTREAM_USER.password } },
    });
    try {
      const pulled = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${readOnlyMirror.host}/library/other:1`);
      expect(pulled.code, pulled.stderr).toBe(0);
      // The manifest was written to the read-only registry's storage by the cache fill.
      const { stdout } = await run('find', [readOnlyMirror.storageDir, '-path', `*${digests.other?.replace('sha256:', '')}*`]);
      expect(stdout.trim()).not.toBe('');
    } finally {
      await readOnlyMirror.stop();
    }
  });
});
