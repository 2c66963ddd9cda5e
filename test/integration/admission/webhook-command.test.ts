import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { deleteWebhookConfiguration } from '../../../src/admission/webhook/webhook-registration.js';
import { loadKubeConfig } from '../../../src/runtime/kube-client.js';
import { sharedControlPlane, uniqueNamespaceName } from '../../controlplane/shared.js';
import { kubectl } from '../../controlplane/kubectl.js';
import { freePort } from '../cli/operator-process.js';
import { installRegistryCrd } from '../controllers/registry/registry-crd.js';
import { ensureNamespace, eventually } from '../runtime/wait.js';
import { TEST_NAMESPACE_LABEL } from './webhook-under-test.js';
import { createTestKubeClients } from '../../harness/typed-clients.js';

const DISALLOWED = 'evil.example.com/miner:1.0';

describe('dockmaster webhook (the command, as a process)', () => {
  const plane = sharedControlPlane();
  const kc = plane.kubeconfigPath;
  const clients = createTestKubeClients(loadKubeConfig({ kubeconfigPath: kc }));
  const id = uniqueNamespaceName('cli').slice(4);
  const ns = `adm-cli-${id}`;
  const operatorNamespace = `dm-webhook-cli-${id}`;
  const configurationName = `dockmaster-image-sources-cli-${id}`;
  const configFile = `${plane.dir}/webhook-${id}.yaml`;
  let child: ChildProcess | undefined;
  let stderr = '';
  let config: Record<string, unknown>;

  beforeAll(async () => {
    await installRegistryCrd(clients);
    await ensureNamespace(clients, operatorNamespace);
    await clients.core.createNamespace({ body: { metadata: { name: ns, labels: { [TEST_NAMESPACE_LABEL]: id } } } });
    const port = await freePort();
    config = {
      namespace: operatorNamespace,
      admission: {
        mode: 'enforce',
        allowedRegistries: ['registry.k8s.io'],
        webhook: { host: '127.0.0.1', port, url: `https://127.0.0.1:${port}/validate`, configurationName, matchNamespaceLabels: { [TEST_NAMESPACE_LABEL]: id } },
      },
    };
    await writeFile(configFile, stringify(config));
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', 'webhook', '--kubeconfig', kc, '--config', configFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DOCKMASTER_LOG_LEVEL: 'warn' },
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  }, 60_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await deleteWebhookConfiguration(clients, configurationName);
    for (const name of [ns, operatorNamespace]) await clients.core.deleteNamespace({ name }).catch(() => undefined);
  }, 30_000);

  it('registers itself and denies a disallowed Pod', async () => {
    await eventually(async () => {
      const result = await kubectl(kc, ['-n', ns, 'run', 'bad', `--image=${DISALLOWED}`, '--dry-run=server']);
      expect(result.stderr, stderr).toContain('not allowed');
    }, 60_000, 250);
  }, 70_000);

  it('applies a changed configuration file without a restart', async () => {
    await writeFile(configFile, stringify({ ...config, admission: { ...(config.admission as object), mode: 'warn' } }));
    await eventually(async () => {
      const result = await kubectl(kc, ['-n', ns, 'run', 'warned', `--image=${DISALLOWED}`, '--dry-run=server']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toContain('Warning: dockmaster:');
    }, 30_000, 500);
  }, 40_000);

  it('exits 1 when its port is taken, instead of running on without serving', async () => {
    // Before, the watches it had started kept such a process alive, not ready, deaf to SIGTERM.
    let second = '';
    const other = spawn(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', 'webhook', '--kubeconfig', kc, '--config', configFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DOCKMASTER_LOG_LEVEL: 'warn' },
    });
    other.stderr?.on('data', (chunk: Buffer) => (second += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => other.once('exit', (c) => resolve(c)));
    expect(code, second).toBe(1);
    expect(second).toContain('EADDRINUSE');
  }, 40_000);

  it('stops on SIGTERM with exit code 0', async () => {
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child?.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
    child = undefined;
  }, 20_000);
});
