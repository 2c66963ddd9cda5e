import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONTROLLERS, startControlPlane, type ControlPlane } from '../../controlplane/control-plane.js';
import { kubectl, kubectlOk } from '../../controlplane/kubectl.js';
import { loadKubeConfig } from '../../../src/runtime/kube-client.js';
import { startStandInKubelet, LOCAL_URL_ANNOTATION, type StandInKubelet } from '../../kubelet/stand-in-kubelet.js';
import { pushImage, pushIndex } from '../../harness/fixtures.js';
import { eventually } from '../runtime/wait.js';
import { freePort, startWebhookProcess, type OperatorProcess } from '../cli/operator-process.js';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../../..');
const NS = 'dockmaster-system';
const FROM = 'v0.1.0';
/** The commit that ended the first version, for a clone that did not fetch the tag. */
const FROM_COMMIT = 'c07c45d';
const AUTH = { username: 'dockmaster', password: 's3cret' };
const DISALLOWED = 'evil.example.com/miner:1.0';
const ALLOWED = 'registry.k8s.io/pause:3.10';
/** A hostname 0.1.0 honoured for every namespace; 0.2.0 only where the admin maps it. */
const UNMAPPED_HOST = 'registry.team.example.com';
const CHILDREN = ['deployment/main-registry', 'service/main', 'configmap/main-registry-config', 'secret/main-registry-http', 'persistentvolumeclaim/main-registry-data'];

interface Seamed {
  child: ChildProcess;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** The controllers of the tree at `root` with the stand-in's seams (seamed-operator-main.ts). */
async function startSeamedOperator(root: string, kubeconfig: string, configFile: string, identity: string): Promise<Seamed> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'test/integration/upgrade/seamed-operator-main.ts')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DM_ROOT: root, DM_KUBECONFIG: kubeconfig, DM_CONFIG: configFile, DM_IDENTITY: identity },
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('seamed-operator: started')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`operator (${root}) exited ${code}: ${stderr}`)));
  });
  return {
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

// Installs 0.1.0 as its users did (its CRDs and deploy/, its operator and webhook built from the
// tag in a git worktree), creates what they had (a Registry on a PVC with auth and a GC schedule,
// images pushed, a RetentionPolicy with a run behind it, a workload admitted by 0.1.0's rules),
// then upgrades the way docs/upgrading.md says and checks what must survive.
describe(`upgrade from ${FROM} (kubectl apply -k deploy/)`, () => {
  let plane: ControlPlane;
  let worktree: string;
  let kubelet: StandInKubelet | undefined;
  let oldWebhook: ChildProcess | undefined;
  let oldOperator: Seamed | undefined;
  let newOperator: Seamed | undefined;
  let newWebhook: OperatorProcess | undefined;
  let oldPort: number;
  let newOperatorKc = '';
  const before: Record<string, unknown> = {};
  const newOperatorConfig = (): string => path.join(worktree, 'new-operator.yaml');

  const admin = (): string => plane.kubeconfigPath;
  const json = async <T>(args: string[]): Promise<T> => JSON.parse(await kubectlOk(admin(), [...args, '-o', 'json'])) as T;
  const configOf = async (): Promise<Record<string, unknown>> =>
    parse(await kubectlOk(admin(), ['-n', NS, 'get', 'configmap', 'dockmaster-config', '-o', 'jsonpath={.data.config\\.yaml}'])) as Record<string, unknown>;
  const judged = async (image: string) => kubectl(admin(), ['-n', 'apps', 'run', `p-${Math.random().toString(36).slice(2, 8)}`, `--image=${image}`, '--dry-run=server']);
  const localUrl = async (): Promise<string> => {
    const dep = await json<{ metadata: { annotations?: Record<string, string> } }>(['-n', 'registries', 'get', 'deployment', 'main-registry']);
    const url = dep.metadata.annotations?.[LOCAL_URL_ANNOTATION];
    if (!url) throw new Error('no ready registry replica yet');
    return url;
  };
  /** Pod template revisions of the registry Deployment (kube-controller-manager's ReplicaSets): each is a pod restart. */
  const revisions = async (): Promise<number> => (await json<{ items: unknown[] }>(['-n', 'registries', 'get', 'replicasets'])).items.length;
  const uids = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const child of CHILDREN) out[child] = (await json<{ metadata: { uid: string } }>(['-n', 'registries', 'get', child])).metadata.uid;
    return out;
  };

  beforeAll(async () => {
    plane = await startControlPlane();
    await plane.startControllerManager({ controllers: DEFAULT_CONTROLLERS });
    worktree = await mkdtemp(path.join(tmpdir(), 'dockmaster-0.1.0-'));
    const rev = await run('git', ['rev-parse', '--verify', `${FROM}^{commit}`], { cwd: REPO }).then((r) => r.stdout.trim(), () => FROM_COMMIT);
    await run('git', ['worktree', 'add', '--detach', worktree, rev], { cwd: REPO });
    // 0.1.0's runtime dependencies are 0.2.0's (only dev tools were added since).
    await symlink(path.join(REPO, 'node_modules'), path.join(worktree, 'node_modules'));
    oldPort = await freePort();
  }, 180_000);

  afterAll(async () => {
    oldWebhook?.kill('SIGKILL');
    await oldOperator?.stop();
    await newOperator?.stop();
    newWebhook?.kill();
    await kubelet?.stop();
    await plane?.stop();
    if (worktree) await run('git', ['worktree', 'remove', '--force', worktree], { cwd: REPO }).catch(() => undefined);
  }, 60_000);

  it(`${FROM} as installed: its deploy/, webhook and operator; a Registry with auth, a GC schedule and images; a RetentionPolicy that ran`, async () => {
    await kubectlOk(admin(), ['apply', '-k', path.join(worktree, 'deploy')]);
    await kubectlOk(admin(), ['wait', '--for=condition=Established', 'crd/registries.dockmaster.dev', 'crd/retentionpolicies.dockmaster.dev', '--timeout=60s']);
    const { kubeconfigPath: operatorKc } = await plane.mintServiceAccountToken(NS, 'dockmaster', { expirationSeconds: 3600 });
    // 0.1.0's webhook, as its operator pods served it: it registers the configuration itself.
    const oldConfig = await configOf();
    const admission = oldConfig.admission as { webhook?: Record<string, unknown> };
    const webhookConfig = path.join(worktree, 'webhook.yaml');
    await writeFile(webhookConfig, stringify({ ...oldConfig, admission: { ...admission, webhook: { ...admission.webhook, host: '127.0.0.1', port: oldPort, url: `https://127.0.0.1:${oldPort}/validate` } } }));
    oldWebhook = spawn(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', 'webhook', '--kubeconfig', operatorKc, '--config', webhookConfig, '--leader-elect'], {
      cwd: worktree,
      stdio: ['ignore', 'ignore', 'ignore'],
      env: { ...process.env, DOCKMASTER_LOG_LEVEL: 'warn', POD_NAME: 'dockmaster-operator-old-0' },
    });
    await kubectlOk(admin(), ['create', 'namespace', 'apps']);
    await eventually(async () => expect((await judged(DISALLOWED)).stderr).toContain('not allowed'), 90_000, 500);

    const operatorConfig = path.join(worktree, 'operator.yaml');
    await writeFile(operatorConfig, stringify(oldConfig));
    oldOperator = await startSeamedOperator(worktree, operatorKc, operatorConfig, 'dockmaster-operator-old-0');
    kubelet = await startStandInKubelet({ kubeConfig: loadKubeConfig({ kubeconfigPath: admin() }), namespace: 'registries', pollIntervalMs: 250 });
    const examples = ['namespace.yaml', 'htpasswd-secret.yaml', 'registry-pvc-auth.yaml'].flatMap((f) => ['-f', path.join(worktree, 'examples', f)]);
    await kubectlOk(admin(), ['apply', ...examples]);
    await kubectlOk(admin(), ['-n', 'registries', 'patch', 'registry', 'main', '--type=merge', '-p', JSON.stringify({ spec: { hostnames: ['registry.example.com', UNMAPPED_HOST] } })]);
    const url = await eventually(localUrl, 90_000, 250);
    const host = new URL(url).host;
    for (let i = 1; i <= 3; i++) await pushImage(url, 'app/web', { tags: [`v${i}`], created: new Date(Date.UTC(2026, 0, i)).toISOString(), seed: `web-${i}`, auth: AUTH });
    const tools = await pushIndex(url, 'tools', { tags: ['latest'], platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }], seed: 'tools', auth: AUTH });
    before.toolsDigest = tools.digest;

    await kubectlOk(admin(), ['apply', '-f', '-'], stringify({
      apiVersion: 'dockmaster.dev/v1alpha1',
      kind: 'RetentionPolicy',
      metadata: { name: 'web', namespace: 'registries', annotations: { 'dockmaster.dev/run-now': 'before-upgrade' } },
      spec: { registryRef: { name: 'main' }, schedule: '0 2 * * *', repositories: ['app/**'], keep: [{ tags: ['v*'], mostRecent: 2 }] },
    }));
    const lastRun = await eventually(async () => {
      const rp = await json<{ status?: { lastRun?: { result?: string; digestsDeleted?: number } } }>(['-n', 'registries', 'get', 'retentionpolicy', 'web']);
      expect(rp.status?.lastRun?.result, oldOperator?.stderr()).toBe('Succeeded');
      return rp.status?.lastRun;
    }, 90_000, 500);
    expect(lastRun?.digestsDeleted).toBe(1);
    before.lastRun = lastRun;

    // A workload 0.1.0 admitted: its image names a hostname of the Registry, honoured everywhere then.
    await kubectlOk(admin(), ['-n', 'apps', 'create', 'deployment', 'legacy', `--image=${UNMAPPED_HOST}/app/web:v3`]);
    before.uids = await uids();
    before.registry = await json<{ metadata: { uid: string }; spec: unknown }>(['-n', 'registries', 'get', 'registry', 'main']);
    before.generation = (await json<{ metadata: { generation: number } }>(['-n', 'registries', 'get', 'deployment', 'main-registry'])).metadata.generation;
    before.revisions = await revisions();
    before.secret = await json<{ metadata: { uid: string }; data: Record<string, string> }>(['-n', NS, 'get', 'secret', 'dockmaster-webhook-tls']);
    before.caBundle = (await json<{ webhooks: Array<{ clientConfig: { caBundle?: string } }> }>(['get', 'validatingwebhookconfiguration', 'dockmaster-image-sources'])).webhooks[0]?.clientConfig.caBundle;
    expect(before.caBundle).toBeTruthy();
    expect(host).toMatch(/^127\.0\.0\.1:/);
  }, 300_000);

  it('before enforcing, the report names the running workload the new rules would deny', async () => {
    const newConfigFile = path.join(worktree, 'new-config.yaml');
    const shipped = parse(await run('kubectl', ['kustomize', path.join(REPO, 'deploy')]).then((r) => r.stdout.split('\n---\n').find((d) => d.includes('name: dockmaster-config')) ?? '')) as { data: Record<string, string> };
    await writeFile(newConfigFile, shipped.data['config.yaml'] ?? '');
    const report = await run(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', 'admit', '--from-cluster', '--kubeconfig', admin(), '--config', newConfigFile], { cwd: REPO }).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    expect(report.code).toBe(1);
    expect(report.stdout).toMatch(/Deployment\s+apps\/legacy\s+DENIED/);
    expect(report.stdout).toContain(UNMAPPED_HOST);
  }, 120_000);

  it('upgrades: children, PVC and images intact, statuses kept, nothing read-only, the webhook Secret, configuration and Leases taken over without an admission outage', async () => {
    // The overlay an admin without a node network would write: the shipped configuration, its
    // clientConfig pointed at the webhook that serves now (a Service's endpoints, here).
    const overlay = path.join(REPO, '.tmp', `upgrade-${process.pid}`);
    await mkdir(overlay, { recursive: true });
    const pointAt = async (port: number): Promise<void> => {
      await writeFile(path.join(overlay, 'kustomization.yaml'), stringify({
        resources: [path.relative(overlay, path.join(REPO, 'deploy'))],
        patches: [{
          target: { kind: 'ValidatingWebhookConfiguration', name: 'dockmaster-image-sources' },
          patch: stringify([
            { op: 'replace', path: '/webhooks/0/clientConfig', value: { url: `https://127.0.0.1:${port}/validate` } },
            { op: 'replace', path: '/webhooks/1/clientConfig', value: { url: `https://127.0.0.1:${port}/validate-resources` } },
          ]),
        }],
      }));
      await kubectlOk(admin(), ['apply', '-k', overlay]);
    };
    // Admission is probed all along: an allowed image always admitted, a disallowed one always denied.
    const outages: string[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const [allowed, denied] = await Promise.all([judged(ALLOWED), judged(DISALLOWED)]);
        if (allowed.exitCode !== 0) outages.push(`allowed image refused: ${allowed.stderr.trim()}`);
        if (!denied.stderr.includes('not allowed')) outages.push(`disallowed image not denied: ${denied.stderr.trim() || 'admitted'}`);
      }
    })();

    try {
      await oldOperator?.stop();
      oldOperator = undefined;
      // 1. The new release, its webhook configuration still pointed at the webhook that serves.
      await pointAt(oldPort);
      // 2. The new webhook Deployment's pods come up (with the Secret 0.1.0 made) ...
      const { kubeconfigPath: webhookKc } = await plane.mintServiceAccountToken(NS, 'dockmaster-webhook', { expirationSeconds: 3600 });
      const newPort = await freePort();
      newWebhook = await startWebhookProcess({ kubeconfig: webhookKc, config: await configOf(), port: newPort, configFile: path.join(worktree, 'new-webhook.yaml'), podName: 'dockmaster-webhook-new-0' });
      // 3. ... the Service's endpoints move to them, and the old pods go. (In a cluster the Service
      // selects both by the named port `webhook`, deploy/service.yaml, so the old operator pods
      // keep serving until the new webhook pods are ready.)
      await pointAt(newPort);
      oldWebhook?.kill('SIGTERM');
      oldWebhook = undefined;
      ({ kubeconfigPath: newOperatorKc } = await plane.mintServiceAccountToken(NS, 'dockmaster', { expirationSeconds: 3600 }));
      await writeFile(newOperatorConfig(), stringify(await configOf()));
      newOperator = await startSeamedOperator(REPO, newOperatorKc, newOperatorConfig(), 'dockmaster-operator-new-0');
      await eventually(async () => {
        const lease = await json<{ spec: { holderIdentity?: string } }>(['-n', NS, 'get', 'lease', 'dockmaster-webhook']);
        expect(lease.spec.holderIdentity).toBe('dockmaster-webhook-new-0');
      }, 90_000, 500);
      await new Promise((resolve) => setTimeout(resolve, 3000));
    } finally {
      probing = false;
      await prober;
    }
    expect(outages).toEqual([]);

    // The operator's Lease: the new operator leads.
    await eventually(async () => {
      const lease = await json<{ spec: { holderIdentity?: string } }>(['-n', NS, 'get', 'lease', 'dockmaster-operator']);
      expect(lease.spec.holderIdentity, newOperator?.stderr()).toBe('dockmaster-operator-new-0');
    }, 90_000, 500);
    // The Registry reconciled by 0.2.0, with the same children (names and UIDs) and PVC.
    const registryBefore = before.registry as { metadata: { uid: string }; spec: Record<string, unknown> };
    await eventually(async () => {
      const reg = await json<{ metadata: { generation: number }; status?: { observedGeneration?: number; image?: string; conditions?: Array<{ type: string; status: string }> } }>(['-n', 'registries', 'get', 'registry', 'main']);
      expect(reg.status?.image, newOperator?.stderr()).toBe('registry:2.8.3');
      expect(reg.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }, 90_000, 500);
    expect(await uids()).toEqual(before.uids);
    const reg = await json<{ metadata: { uid: string }; spec: Record<string, unknown> }>(['-n', 'registries', 'get', 'registry', 'main']);
    expect(reg.metadata.uid).toBe(registryBefore.metadata.uid);
    expect(reg.spec.garbageCollection).toEqual(registryBefore.spec.garbageCollection);
    expect(reg.spec.image).toBe('registry:2.8.3');
    const rp = await json<{ status?: { lastRun?: unknown } }>(['-n', 'registries', 'get', 'retentionpolicy', 'web']);
    expect(rp.status?.lastRun).toEqual(before.lastRun);
    // The webhook's Secret and CA were taken over, not recreated.
    const secret = await json<{ metadata: { uid: string }; data: Record<string, string> }>(['-n', NS, 'get', 'secret', 'dockmaster-webhook-tls']);
    const secretBefore = before.secret as { metadata: { uid: string }; data: Record<string, string> };
    expect(secret.metadata.uid).toBe(secretBefore.metadata.uid);
    expect(secret.data['ca.crt']).toBe(secretBefore.data['ca.crt']);
    const vwc = await json<{ webhooks: Array<{ name: string; clientConfig: { caBundle?: string } }> }>(['get', 'validatingwebhookconfiguration', 'dockmaster-image-sources']);
    expect(vwc.webhooks.map((w) => w.name)).toEqual(['image-sources.dockmaster.dev', 'resources.dockmaster.dev']);
    expect(vwc.webhooks[0]?.clientConfig.caBundle).toBe(before.caBundle);

    // Registry pods: the config changed in 0.2.0, so they rolled; then they stay put.
    const url = await eventually(localUrl, 90_000, 250);
    const generation = async (): Promise<number> => (await json<{ metadata: { generation: number } }>(['-n', 'registries', 'get', 'deployment', 'main-registry'])).metadata.generation;
    const settled = await generation();
    process.stderr.write(`[upgrade] registry Deployment generation ${String(before.generation)} before, ${settled} after\n`);
    // One rollout: 0.2.0's registry config differs (http.draintimeout), and nothing else moves the pods.
    expect(await revisions()).toBe((before.revisions as number) + 1);
    await newOperator?.stop();
    newOperator = await startSeamedOperator(REPO, newOperatorKc, newOperatorConfig(), 'dockmaster-operator-new-1');
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(await generation()).toBe(settled);
    expect(await revisions()).toBe((before.revisions as number) + 1);

    // Every image still pulls, every platform of the index included; the v1 run deleted stays gone.
    const host = new URL(url).host;
    const skopeo = async (...args: string[]): Promise<string> => (await run('skopeo', ['--insecure-policy', ...args], { timeout: 60_000 })).stdout;
    for (const tag of ['v2', 'v3']) await skopeo('inspect', '--tls-verify=false', '--creds', `${AUTH.username}:${AUTH.password}`, `docker://${host}/app/web:${tag}`);
    const layout = await mkdtemp(path.join(tmpdir(), 'upgrade-oci-'));
    await skopeo('copy', '--all', '--src-tls-verify=false', '--src-creds', `${AUTH.username}:${AUTH.password}`, `docker://${host}/tools:latest`, `oci:${layout}:latest`);
    await rm(layout, { recursive: true, force: true });
    // Nothing is left read-only: a push works.
    await pushImage(url, 'app/web', { tags: ['v4'], seed: 'web-4', auth: AUTH });
    expect(newOperator?.stderr() ?? '').not.toMatch(/system:serviceaccount:dockmaster-system:dockmaster\W* cannot /);
  }, 420_000);

  it(`rolls back to ${FROM} as docs/upgrading.md says: images, Registry and statuses intact, admission back on the old webhook`, async () => {
    // docs/upgrading.md, "Rolling back to 0.1.0": suspend retention, apply the old deploy/,
    // remove what 0.1.0 does not know (the webhook Deployment and the resources webhook).
    await kubectlOk(admin(), ['-n', 'registries', 'patch', 'retentionpolicy', 'web', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
    await newOperator?.stop();
    newOperator = undefined;
    await kubectlOk(admin(), ['apply', '-k', path.join(worktree, 'deploy')]);
    const { kubeconfigPath: operatorKc } = await plane.mintServiceAccountToken(NS, 'dockmaster', { expirationSeconds: 3600 });
    oldWebhook = spawn(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', 'webhook', '--kubeconfig', operatorKc, '--config', path.join(worktree, 'webhook.yaml'), '--leader-elect'], {
      cwd: worktree,
      stdio: ['ignore', 'ignore', 'ignore'],
      env: { ...process.env, DOCKMASTER_LOG_LEVEL: 'warn', POD_NAME: 'dockmaster-operator-old-1' },
    });
    newWebhook?.kill();
    newWebhook = undefined;
    await kubectlOk(admin(), ['-n', NS, 'delete', 'deployment', 'dockmaster-webhook', '--ignore-not-found']);
    // 0.1.0's leader registers its own configuration again, pointed at itself.
    await eventually(async () => {
      const vwc = await json<{ webhooks: Array<{ clientConfig: { url?: string } }> }>(['get', 'validatingwebhookconfiguration', 'dockmaster-image-sources']);
      expect(vwc.webhooks[0]?.clientConfig.url).toBe(`https://127.0.0.1:${oldPort}/validate`);
    }, 90_000, 500);
    await eventually(async () => expect((await judged(DISALLOWED)).stderr).toContain('not allowed'), 90_000, 500);
    oldOperator = await startSeamedOperator(worktree, operatorKc, path.join(worktree, 'operator.yaml'), 'dockmaster-operator-old-2');
    await eventually(async () => {
      const reg = await json<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(['-n', 'registries', 'get', 'registry', 'main']);
      expect(reg.status?.conditions?.find((c) => c.type === 'Ready')?.status, oldOperator?.stderr()).toBe('True');
      await kubectlOk(admin(), ['-n', 'registries', 'get', 'deployment', 'main-registry']);
    }, 90_000, 500);
    expect(await uids()).toEqual(before.uids);
    const url = await eventually(localUrl, 90_000, 250);
    const host = new URL(url).host;
    for (const tag of ['v2', 'v3', 'v4']) await run('skopeo', ['--insecure-policy', 'inspect', '--tls-verify=false', '--creds', `${AUTH.username}:${AUTH.password}`, `docker://${host}/app/web:${tag}`], { timeout: 60_000 });
    const rp = await json<{ status?: { lastRun?: unknown } }>(['-n', 'registries', 'get', 'retentionpolicy', 'web']);
    expect(rp.status?.lastRun).toEqual(before.lastRun);
  }, 300_000);
});
