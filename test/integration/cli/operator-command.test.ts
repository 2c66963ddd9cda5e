import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedControlPlane, uniqueNamespaceName } from '../../controlplane/shared.js';
import { kubectl, kubectlOk } from '../../controlplane/kubectl.js';
import { eventually } from '../runtime/wait.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// `dockmaster operator` as a user runs it, against the real kube-apiserver.
describe('dockmaster operator', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('reconciles a Registry, serves health and metrics, and releases its Lease on SIGTERM', async () => {
    const plane = sharedControlPlane();
    const kc = plane.kubeconfigPath;
    const ns = uniqueNamespaceName('operator-cli');
    await kubectlOk(kc, ['apply', '-k', 'crds/']);
    await kubectlOk(kc, ['wait', '--for=condition=Established', 'crd/registries.dockmaster.dev', '--timeout=60s']);
    await kubectlOk(kc, ['create', 'namespace', ns]);
    const configFile = `${plane.dir}/operator-${ns}.yaml`;
    await import('node:fs/promises').then((fs) => fs.writeFile(configFile, `namespace: ${ns}\n`));
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', 'operator', '--kubeconfig', kc, '--config', configFile, '--watch-namespace', ns, '--health-address', '127.0.0.1', '--health-port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOCKMASTER_LOG_LEVEL: 'warn' },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));

    await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status, stderr).toBe(200);
    }, 60_000, 250);
    await kubectlOk(kc, ['-n', ns, 'apply', '-f', '-'], 'apiVersion: dockmaster.dev/v1alpha1\nkind: Registry\nmetadata: {name: cli}\nspec: {storage: {emptyDir: {}}}\n');
    await eventually(async () => {
      const r = await kubectl(kc, ['-n', ns, 'get', 'deployment', 'cli-registry', '-o', 'name']);
      expect(r.exitCode, `${r.stderr}\n${stderr}`).toBe(0);
    }, 60_000, 250);
    const lease = JSON.parse(await kubectlOk(kc, ['-n', ns, 'get', 'lease', 'dockmaster-operator', '-o', 'json'])) as { spec: { holderIdentity?: string } };
    expect(lease.spec.holderIdentity).toBeTruthy();
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('dockmaster_reconcile_total');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const released = JSON.parse(await kubectlOk(kc, ['-n', ns, 'get', 'lease', 'dockmaster-operator', '-o', 'json'])) as { spec: { holderIdentity?: string } };
    expect(released.spec.holderIdentity ?? '').toBe('');
  });
});
