import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedControlPlane, uniqueNamespaceName } from '../../controlplane/shared.js';
import { kubectlOk } from '../../controlplane/kubectl.js';

const run = promisify(execFile);
const CA = '-----BEGIN CERTIFICATE-----\nMIIBdGVzdA==\n-----END CERTIFICATE-----\n';

// `dockmaster node-config` as an admin (or the opt-in DaemonSet) runs it, against the real kube-apiserver.
describe('dockmaster node-config', () => {
  const kc = sharedControlPlane().kubeconfigPath;
  const ns = uniqueNamespaceName('node-config');
  let root: string | undefined;
  afterAll(async () => root && rm(root, { recursive: true, force: true }));

  const dockmaster = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', 'node-config', '--kubeconfig', kc, ...args]);

  it('renders each reachable Registry for containerd and CRI-O, writes under --root exactly what it prints, and says which Registries nodes cannot reach', async () => {
    await kubectlOk(kc, ['apply', '--server-side', '--force-conflicts', '--field-manager=crd-tests', '-k', 'crds/']);
    await kubectlOk(kc, ['wait', '--for=condition=Established', 'crd/registries.dockmaster.dev', '--timeout=60s']);
    await kubectlOk(kc, ['create', 'namespace', ns]);
    const tlsSecret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'secure-tls', namespace: ns }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': CA, 'tls.key': 'k', 'ca.crt': CA } };
    const registries = [
      { metadata: { name: 'public', namespace: ns }, spec: { storage: { emptyDir: {} }, hostnames: ['images.example.com:5000'] } },
      { metadata: { name: 'secure', namespace: ns }, spec: { storage: { emptyDir: {} }, hostnames: ['secure.example.com'], tls: { secretName: 'secure-tls' } } },
      { metadata: { name: 'nodeport', namespace: ns }, spec: { storage: { emptyDir: {} }, service: { type: 'NodePort' } } },
      { metadata: { name: 'hidden', namespace: ns }, spec: { storage: { emptyDir: {} } } },
    ].map((r) => ({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', ...r }));
    // The Service the operator would create for the NodePort Registry (no operator runs here).
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nodeport', namespace: ns }, spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 5000, nodePort: 31555 }] } };
    await kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [tlsSecret, ...registries, service] }));

    const printed = await dockmaster(['-n', ns]);
    expect(printed.stderr).toMatch(/config_path = "\/etc\/containerd\/certs.d"/);
    expect(printed.stderr).toMatch(new RegExp(`Registry ${ns}/hidden skipped: its Service is ClusterIP and it has no spec.hostnames`));

    root = await mkdtemp(path.join(tmpdir(), 'dm-node-root-'));
    const written = await dockmaster(['-n', ns, '--root', root]);
    expect(written.stderr).toMatch(/Wrote 8 files under .* for 3 Registries/);
    // What was written is exactly what was printed.
    const blocks = [...printed.stdout.matchAll(/==> (\S+) <==\n([\s\S]*?)\n(?=(==> |$))/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(blocks).toHaveLength(8);
    for (const [file, content] of blocks) expect(await readFile(path.join(root, file), 'utf8'), file).toBe(content);

    const hosts = (address: string) => readFile(path.join(root!, 'etc/containerd/certs.d', address, 'hosts.toml'), 'utf8').then((t) => parse(t));
    expect((await hosts('images.example.com:5000')).server).toBe('http://images.example.com:5000');
    expect(await hosts('secure.example.com')).toEqual({
      server: 'https://secure.example.com',
      host: { 'https://secure.example.com': { capabilities: ['pull', 'resolve'], ca: '/etc/containerd/certs.d/secure.example.com/ca.crt' } },
    });
    expect(await readFile(path.join(root, 'etc/containerd/certs.d/secure.example.com/ca.crt'), 'utf8')).toBe(CA);
    expect((await hosts('localhost:31555')).server).toBe('http://localhost:31555');
    const crio = parse(await readFile(path.join(root, `etc/containers/registries.conf.d/dockmaster-${ns}-public.conf`), 'utf8'));
    expect(crio).toEqual({ registry: [{ location: 'images.example.com:5000', insecure: true }] });
  }, 60_000);

  it('points a mirrored upstream at the mirror with the upstream as fallback (containerd, CRI-O), and prints Docker\'s registry-mirrors line for Docker Hub', async () => {
    const mirrorNs = uniqueNamespaceName('node-config-mirror');
    await kubectlOk(kc, ['create', 'namespace', mirrorNs]);
    const mirrors = [
      { metadata: { name: 'hub', namespace: mirrorNs }, spec: { image: 'registry:3.1.2', storage: { emptyDir: {} }, hostnames: ['hub-mirror.example.com:5000'], proxy: { remoteURL: 'https://registry-1.docker.io' } } },
      { metadata: { name: 'quay', namespace: mirrorNs }, spec: { image: 'registry:3.1.2', storage: { emptyDir: {} }, hostnames: ['quay-mirror.example.com'], proxy: { remoteURL: 'https://quay.io' } } },
    ].map((r) => ({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', ...r }));
    await kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: mirrors }));
    const mirrorRoot = await mkdtemp(path.join(tmpdir(), 'dm-node-mirror-'));
    try {
      const printed = await dockmaster(['-n', mirrorNs]);
      expect(printed.stderr).toContain('Note: Docker Engine nodes: add to /etc/docker/daemon.json (Docker mirrors Docker Hub only), then restart dockerd:\n  "registry-mirrors": ["http://hub-mirror.example.com:5000"]');
      expect(printed.stderr).not.toContain('quay-mirror.example.com"]');
      await dockmaster(['-n', mirrorNs, '--root', mirrorRoot]);
      const hosts = (dir: string) => readFile(path.join(mirrorRoot, 'etc/containerd/certs.d', dir, 'hosts.toml'), 'utf8').then((t) => parse(t));
      // Image references say docker.io; the fallback server is Docker Hub's API host.
      expect(await hosts('docker.io')).toEqual({ server: 'https://registry-1.docker.io', host: { 'http://hub-mirror.example.com:5000': { capabilities: ['pull', 'resolve'] } } });
      expect(await hosts('quay.io')).toEqual({ server: 'https://quay.io', host: { 'http://quay-mirror.example.com': { capabilities: ['pull', 'resolve'] } } });
      // The mirror is also reachable under its own name.
      expect((await hosts('hub-mirror.example.com:5000')).server).toBe('http://hub-mirror.example.com:5000');
      const crio = parse(await readFile(path.join(mirrorRoot, `etc/containers/registries.conf.d/dockmaster-mirror-${mirrorNs}-hub.conf`), 'utf8'));
      expect(crio).toEqual({ registry: [{ location: 'docker.io', mirror: [{ location: 'hub-mirror.example.com:5000', insecure: true }] }] });
    } finally {
      await rm(mirrorRoot, { recursive: true, force: true });
    }
  }, 60_000);
});
