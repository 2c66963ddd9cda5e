/**
 * The demo (README's first command): a real local control plane (etcd + kube-apiserver), deploy/
 * installed with kubectl, the operator's controllers and admission webhook running in this
 * process as deploy/'s ServiceAccount, the stand-in kubelet running a real docker-registry from
 * the objects the operator wrote, sample images pushed through the v2 API, a RetentionPolicy
 * dry run and real run, a read-only GC window freeing bytes, and the kube-apiserver calling the
 * webhook over TLS. `--once` runs it through and exits (CI); otherwise it stays up, printing the
 * KUBECONFIG, until Ctrl-C.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane } from '../test/controlplane/control-plane.js';
import { kubectl, kubectlOk } from '../test/controlplane/kubectl.js';
import { startStandInKubelet, LOCAL_URL_ANNOTATION } from '../test/kubelet/stand-in-kubelet.js';
import { readJobOutputAnnotation, resolveRegistryThroughStandIn, resolveReplicasThroughStandIn, resolveThroughStandIn } from '../test/kubelet/operator-seams.js';
import { freeLoopbackPort } from '../test/harness/registry.js';
import { pushImage, pushIndex, pushSignature } from '../test/harness/fixtures.js';
import { parseOperatorConfig } from '../src/config/operator-config.js';
import { AdmissionWebhook } from '../src/admission/webhook/admission-webhook.js';
import { probeRegistryV2 } from '../src/controllers/registry/endpoint-probe.js';
import { createOperatorControllers } from '../src/operator/controllers.js';
import { createKubeClients, loadKubeConfig } from '../src/runtime/kube-client.js';
import { Manager } from '../src/runtime/manager.js';
import { RuntimeMetrics } from '../src/runtime/metrics.js';
import { createRootLogger, silentLogger } from '../src/logging/logger.js';
import { RegistryV2Client } from '../src/registry/client/v2-client.js';

const once = process.argv.includes('--once');
const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const NS = 'registries';
const OPERATOR_NS = 'dockmaster-system';
// The example htpasswd Secret's user (examples/htpasswd-secret.yaml).
const AUTH = { username: 'dockmaster', password: 's3cret' };

function step(title: string): void {
  console.log(`\n\x1b[1m==> ${title}\x1b[0m`);
}
async function show(kubeconfig: string, args: string[]): Promise<string> {
  console.log(`$ kubectl ${args.join(' ')}`);
  const out = await kubectlOk(kubeconfig, args);
  process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
  return out;
}
async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
async function jsonOf<T>(kubeconfig: string, args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk(kubeconfig, [...args, '-o', 'json'])) as T;
}
/** Bytes of the blob files under a registry storage root (what GC frees). */
function blobBytes(storageRoot: string): number {
  const walk = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
      const full = path.join(dir, entry.name);
      return sum + (entry.isDirectory() ? walk(full) : entry.isFile() ? statSync(full).size : 0);
    }, 0);
  const blobs = path.join(storageRoot, 'docker/registry/v2/blobs');
  try {
    return walk(blobs);
  } catch {
    return 0;
  }
}
async function listTags(url: string): Promise<void> {
  const client = new RegistryV2Client({ url, allowPlainHttp: true, credentials: AUTH });
  try {
    for (const repo of await client.listRepositories()) console.log(`  ${repo}: ${(await client.listTags(repo)).sort().join(' ') || '(no tags)'}`);
  } finally {
    await client.close();
  }
}

interface PolicyStatus {
  status?: { lastRun?: { result?: string; message?: string }; handledRunNow?: string; planSummary?: unknown };
}
interface RegistryStatus {
  status?: { garbageCollectionWindow?: { phase?: string; message?: string }; lastGarbageCollection?: { startTime?: string; result?: string } };
}

async function main(): Promise<void> {
  const started = Date.now();
  step('Starting a local control plane (etcd + kube-apiserver, built from the Go module proxy)');
  const plane = await startControlPlane();
  const kc = plane.kubeconfigPath;
  const cleanups: Array<() => Promise<void>> = [() => plane.stop()];
  try {
    step('Installing dockmaster as users do: kubectl apply -k deploy/ (CRDs, ServiceAccount, least-privilege RBAC, config)');
    await show(kc, ['apply', '-k', path.join(root, 'deploy')]);
    await kubectlOk(kc, ['wait', '--for=condition=Established', 'crd/registries.dockmaster.dev', 'crd/retentionpolicies.dockmaster.dev', '--timeout=60s']);
    console.log('(No node runs the operator and webhook Deployments here: they run in this process, as the same ServiceAccounts.)');
    const deployedConfig = await kubectlOk(kc, ['-n', OPERATOR_NS, 'get', 'configmap', 'dockmaster-config', '-o', 'jsonpath={.data.config\\.yaml}']);
    const { parse } = await import('yaml');
    const fromDeploy = parse(deployedConfig) as { admission: { webhook?: Record<string, unknown> } & Record<string, unknown> };

    step('Starting the admission webhook apart from the controllers, as ServiceAccount dockmaster-webhook (it patches only the caBundle of the shipped configuration)');
    const port = await freeLoopbackPort();
    const url = `https://127.0.0.1:${port}/validate`;
    // The apiserver calls the webhook by URL here instead of the Service (no pod runs it): the one
    // edit of the shipped configuration a cluster without a container runtime needs.
    await kubectlOk(kc, ['patch', 'validatingwebhookconfiguration', 'dockmaster-image-sources', '--type=json', '-p', JSON.stringify([
      { op: 'replace', path: '/webhooks/0/clientConfig', value: { url } },
      { op: 'replace', path: '/webhooks/1/clientConfig', value: { url: url.replace(/\/validate$/, '/validate-resources') } },
    ])]);
    const { kubeconfigPath: webhookKc } = await plane.mintServiceAccountToken(OPERATOR_NS, 'dockmaster-webhook', { expirationSeconds: 3600 });
    const config = parseOperatorConfig({ ...fromDeploy, admission: { ...fromDeploy.admission, webhook: { ...fromDeploy.admission.webhook, host: '127.0.0.1', port, url } } });
    const webhook = new AdmissionWebhook({ config, clients: createKubeClients(loadKubeConfig({ kubeconfigPath: webhookKc })), logger: createRootLogger({ level: 'silent' }) });
    await webhook.start();
    cleanups.unshift(() => webhook.stop());

    step('Starting the operator (Registry, RetentionPolicy and GC-window controllers) and the stand-in kubelet');
    const { kubeconfigPath: operatorKc } = await plane.mintServiceAccountToken(OPERATOR_NS, 'dockmaster', { expirationSeconds: 3600 });
    const operatorConfig = loadKubeConfig({ kubeconfigPath: operatorKc });
    const metrics = new RuntimeMetrics();
    const manager = new Manager({
      kubeConfig: operatorConfig,
      logger: silentLogger(),
      metrics,
      leaderElection: false,
      controllers: createOperatorControllers({
        metricsRegistry: metrics.registry,
        admissionSources: parseOperatorConfig(fromDeploy).admission.registries,
        // Demo-only, as in the tests: the stand-in kubelet runs each registry on a loopback port
        // and records it on the Deployment; Service DNS, pod IPs and pods/log do not exist here.
        seams: {
          registry: { resolveEndpoint: resolveThroughStandIn, probe: (url) => probeRegistryV2(url), probeIntervalMs: 2_000 },
          retention: { resolveRegistry: resolveRegistryThroughStandIn, blockedRetryMs: 1_000 },
          garbageCollection: {
            resolveReplicas: resolveReplicasThroughStandIn,
            readJobOutput: readJobOutputAnnotation,
            timing: { retentionRetryMs: 1_000, verifyRetryMs: 500, jobPollMs: 500 },
          },
        },
      }),
    });
    await manager.start();
    cleanups.unshift(() => manager.stop());
    const kubeConfig = loadKubeConfig({ kubeconfigPath: kc });
    const kubelet = await startStandInKubelet({ kubeConfig, pollIntervalMs: 250 });
    cleanups.unshift(() => kubelet.stop());

    step('kubectl apply of the examples: a namespace, an htpasswd Secret and a Registry on a PVC with a weekly GC window');
    await show(kc, ['apply', '-f', path.join(root, 'examples/namespace.yaml'), '-f', path.join(root, 'examples/htpasswd-secret.yaml'), '-f', path.join(root, 'examples/registry-pvc-auth.yaml')]);
    const t0 = Date.now();
    await kubectlOk(kc, ['-n', NS, 'wait', '--for=condition=Ready', 'registry/main', '--timeout=90s']);
    console.log(`Registry Ready ${((Date.now() - t0) / 1000).toFixed(1)} s after apply`);
    await show(kc, ['-n', NS, 'get', 'reg', 'main']);
    await show(kc, ['-n', NS, 'get', 'deploy,svc,cm,secret,pvc', '-l', 'app.kubernetes.io/managed-by=dockmaster']);

    step('Pushing sample images through the registry v2 API (several versions, a multi-arch index, signatures)');
    const clients = createKubeClients(kubeConfig);
    const local = await waitFor('the registry process', async () => {
      const dep = await clients.requestJson<{ metadata?: { annotations?: Record<string, string> } }>('GET', `/apis/apps/v1/namespaces/${NS}/deployments/main-registry`);
      return dep.metadata?.annotations?.[LOCAL_URL_ANNOTATION];
    });
    for (let i = 1; i <= 5; i++) {
      const image = await pushImage(local, 'demo/web', { tags: [`v1.${i}.0`], created: new Date(Date.UTC(2026, 0, i)).toISOString(), seed: `web-${i}`, auth: AUTH });
      if (i === 1 || i === 5) await pushSignature(local, 'demo/web', image.digest, 'sig', { auth: AUTH });
    }
    await pushIndex(local, 'demo/tools', { tags: ['latest'], platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }], seed: 'tools', auth: AUTH });
    await listTags(local);

    step('Retention, dry run: kubectl apply of a RetentionPolicy (dryRun: true) and a run now');
    await show(kc, ['apply', '-f', path.join(root, 'examples/retentionpolicy-demo.yaml')]);
    const runNow = async (value: string, result: string): Promise<PolicyStatus> => {
      await show(kc, ['-n', NS, 'annotate', 'rp', 'demo', `dockmaster.dev/run-now=${value}`, '--overwrite']);
      return waitFor(`the ${result} run`, async () => {
        const rp = await jsonOf<PolicyStatus>(kc, ['-n', NS, 'get', 'rp', 'demo']);
        return rp.status?.handledRunNow === value && rp.status.lastRun?.result ? rp : undefined;
      });
    };
    const dry = await runNow('dry-run-1', 'DryRun');
    await show(kc, ['-n', NS, 'get', 'rp', 'demo']);
    console.log('status.planSummary:');
    console.log(JSON.stringify(dry.status?.planSummary, null, 2));

    step('Retention, for real: dryRun: false and a run now (deletes by digest; kept images, indexes and signatures stay)');
    await show(kc, ['-n', NS, 'patch', 'rp', 'demo', '--type=merge', '-p', '{"spec":{"dryRun":false}}']);
    const real = await runNow('run-1', 'Succeeded');
    console.log(`lastRun: ${real.status?.lastRun?.result}: ${real.status?.lastRun?.message ?? ''}`);
    await show(kc, ['-n', NS, 'get', 'rp', 'demo']);
    await listTags(local);
    const inspect = (ref: string) => ['inspect', '--tls-verify=false', '--creds', `${AUTH.username}:${AUTH.password}`, '--raw', `docker://${new URL(local).host}/${ref}`];
    const { spawnSync } = await import('node:child_process');
    for (const ref of ['demo/web:v1.5.0', 'demo/tools:latest']) {
      const r = spawnSync('skopeo', inspect(ref), { encoding: 'utf8' });
      console.log(`$ skopeo inspect --raw docker://…/${ref}  → ${r.status === 0 ? `pulls (${JSON.parse(r.stdout).mediaType as string})` : `FAILED: ${r.stderr}`}`);
      if (r.status !== 0) throw new Error(`kept image ${ref} does not pull`);
    }

    step('Garbage collection: a read-only window now (dockmaster.dev/gc-now); deleted manifests\' blobs are freed');
    const storage = kubelet.pvcDir(NS, 'main-registry-data');
    const before = blobBytes(storage);
    await show(kc, ['-n', NS, 'annotate', 'registry', 'main', `dockmaster.dev/gc-now=${new Date().toISOString()}`, '--overwrite']);
    const gcStarted = new Date(Date.now() - 1000);
    let lastPhase = '';
    await waitFor('the GC window to close', async () => {
      const reg = await jsonOf<RegistryStatus>(kc, ['-n', NS, 'get', 'registry', 'main']);
      const phase = reg.status?.garbageCollectionWindow?.phase ?? 'Idle';
      if (phase !== lastPhase) console.log(`  phase: ${phase}${reg.status?.garbageCollectionWindow?.message ? ` (${reg.status.garbageCollectionWindow.message})` : ''}`);
      lastPhase = phase;
      const last = reg.status?.lastGarbageCollection;
      return phase === 'Idle' && last?.startTime && new Date(last.startTime) >= gcStarted && last.result ? reg : undefined;
    }, 180_000);
    await show(kc, ['-n', NS, 'get', 'reg', 'main']);
    await show(kc, ['-n', NS, 'get', 'registry', 'main', '-o', 'jsonpath={.status.lastGarbageCollection}']);
    console.log(`\nblob bytes on the registry's volume: ${before} before, ${blobBytes(storage)} after`);

    step('Admission: the kube-apiserver calls the webhook over TLS (its own Secret and CA; the configuration shipped in deploy/, its caBundle patched by the webhook)');
    await show(kc, ['get', 'validatingwebhookconfiguration', 'dockmaster-image-sources']);
    // The apiserver picks up new webhook configurations asynchronously: wait until it denies.
    await waitFor('the webhook to be active', async () => {
      const r = await kubectl(kc, ['-n', NS, 'run', 'probe', '--image=nginx', '--dry-run=server']);
      return r.exitCode !== 0 && /denied/i.test(r.stderr) ? true : undefined;
    }, 30_000);
    const image = 'registry.example.com/demo/web:v1.5.0';
    console.log(`$ kubectl -n ${NS} run web --image=${image}     # a hostname of the main Registry`);
    const allowed = await kubectl(kc, ['-n', NS, 'run', 'web', `--image=${image}`]);
    process.stdout.write(allowed.stdout + allowed.stderr);
    console.log(`$ kubectl -n ${NS} run evil --image=nginx`);
    const denied = await kubectl(kc, ['-n', NS, 'run', 'evil', '--image=nginx']);
    process.stdout.write(denied.stdout + denied.stderr);
    if (allowed.exitCode !== 0 || denied.exitCode === 0 || !/denied/i.test(denied.stderr)) throw new Error('Admission did not behave as expected');
    // Apply-time validation: what CEL cannot check (a cron hour of 25) is refused at apply.
    const badPolicy = `apiVersion: dockmaster.dev/v1alpha1\nkind: RetentionPolicy\nmetadata: {name: typo, namespace: ${NS}}\nspec: {registryRef: {name: main}, schedule: "0 25 * * *", keep: [{mostRecent: 5}]}\n`;
    console.log(`$ kubectl apply -f - <<< 'RetentionPolicy typo with schedule: "0 25 * * *"'`);
    const invalid = await kubectl(kc, ['apply', '-f', '-'], badPolicy);
    process.stdout.write(invalid.stdout + invalid.stderr);
    if (invalid.exitCode === 0 || !/spec\.schedule/.test(invalid.stderr)) throw new Error('Apply-time validation did not refuse the bad schedule');

    step(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (!once) {
      console.log(`\nexport KUBECONFIG=${kc}\nThe environment stays up; press Ctrl-C to stop.`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
