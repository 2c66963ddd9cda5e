/**
 * The demo (README's first command): a real local control plane (etcd + kube-apiserver), the
 * Registry controller, the stand-in kubelet running a real docker-registry from the objects the
 * operator wrote, sample images pushed through the v2 API, and the admission webhook called by
 * the real kube-apiserver over TLS. `--once` runs it through and exits (CI); otherwise it stays
 * up, printing the KUBECONFIG, until Ctrl-C.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane } from '../test/controlplane/control-plane.js';
import { kubectl, kubectlOk } from '../test/controlplane/kubectl.js';
import { startStandInKubelet, LOCAL_URL_ANNOTATION } from '../test/kubelet/stand-in-kubelet.js';
import { pushImage, pushIndex, pushSignature } from '../test/harness/fixtures.js';
import { createKubeClients, loadKubeConfig } from '../src/runtime/kube-client.js';
import { Manager } from '../src/runtime/manager.js';
import { createRegistryController } from '../src/controllers/registry/controller.js';
import { probeRegistryV2, type EndpointResolver } from '../src/controllers/registry/endpoint-probe.js';
import { silentLogger } from '../src/logging/logger.js';
import { AdmissionPolicyHolder, buildWebhookServer, createCertificateAuthority, issueServingCertificate, MutableCertificateSource } from '../src/admission/index.js';
import { RegistryV2Client } from '../src/registry/client/v2-client.js';
import { planFromRegistry } from '../src/cli/retention.js';
import { renderPlanTable } from '../src/retention/render.js';

const once = process.argv.includes('--once');
const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const NS = 'registries';

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

// Demo-only, as in the tests: the stand-in kubelet runs the registry on a loopback port and
// records it on the Deployment, because the Service's DNS name does not resolve on this machine.
const resolveThroughStandIn: EndpointResolver = (_serviceUrl, deployment) => deployment?.metadata?.annotations?.[LOCAL_URL_ANNOTATION] ?? undefined;

async function main(): Promise<void> {
  const started = Date.now();
  step('Starting a local control plane (etcd + kube-apiserver, built from the Go module proxy)');
  const plane = await startControlPlane();
  const kc = plane.kubeconfigPath;
  const cleanups: Array<() => Promise<void>> = [() => plane.stop()];
  try {
    step('Installing the CRDs generated from the zod schemas');
    await show(kc, ['apply', '-k', path.join(root, 'crds')]);
    await kubectlOk(kc, ['wait', '--for=condition=Established', 'crd/registries.dockmaster.dev', 'crd/retentionpolicies.dockmaster.dev', '--timeout=60s']);

    step('Starting the operator (Registry controller) and the stand-in kubelet');
    const kubeConfig = loadKubeConfig({ kubeconfigPath: kc });
    const manager = new Manager({
      kubeConfig,
      logger: silentLogger(),
      leaderElection: false,
      controllers: [createRegistryController({ resolveEndpoint: resolveThroughStandIn, probe: (url) => probeRegistryV2(url), probeIntervalMs: 2_000 })],
    });
    await manager.start();
    cleanups.unshift(() => manager.stop());
    const kubelet = await startStandInKubelet({ kubeConfig, pollIntervalMs: 250 });
    cleanups.unshift(() => kubelet.stop());

    step('kubectl apply of the examples: a namespace and a Registry');
    await show(kc, ['apply', '-f', path.join(root, 'examples/namespace.yaml'), '-f', path.join(root, 'examples/registry-basic.yaml')]);
    const t0 = Date.now();
    await kubectlOk(kc, ['-n', NS, 'wait', '--for=condition=Ready', 'registry/playground', '--timeout=90s']);
    console.log(`Registry Ready ${((Date.now() - t0) / 1000).toFixed(1)} s after apply`);
    await show(kc, ['-n', NS, 'get', 'reg', 'playground']);
    await show(kc, ['-n', NS, 'get', 'deploy,svc,cm,secret', '-l', 'app.kubernetes.io/managed-by=dockmaster']);

    step('Pushing sample images through the registry v2 API (several versions, a multi-arch index, signatures)');
    const clients = createKubeClients(kubeConfig);
    const local = await waitFor('the registry process', async () => {
      const dep = await clients.requestJson<{ metadata?: { annotations?: Record<string, string> } }>('GET', `/apis/apps/v1/namespaces/${NS}/deployments/playground-registry`);
      return dep.metadata?.annotations?.[LOCAL_URL_ANNOTATION];
    });
    for (let i = 1; i <= 5; i++) {
      const image = await pushImage(local, 'demo/web', { tags: [`v1.${i}.0`], created: new Date(Date.UTC(2026, 0, i)).toISOString(), seed: `web-${i}` });
      if (i >= 4) await pushSignature(local, 'demo/web', image.digest, 'sig');
    }
    await pushIndex(local, 'demo/tools', { tags: ['latest'], platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }], seed: 'tools' });
    const client = new RegistryV2Client({ url: local, allowPlainHttp: true });
    for (const repo of await client.listRepositories()) console.log(`  ${repo}: ${(await client.listTags(repo)).sort().join(' ')}`);
    await client.close();

    step('Retention: kubectl apply of a RetentionPolicy, and its plan against the live registry (deletes nothing)');
    const policyFile = path.join(root, 'examples/retentionpolicy-demo.yaml');
    await show(kc, ['apply', '-f', policyFile]);
    await show(kc, ['-n', NS, 'get', 'rp']);
    console.log(`$ dockmaster retention plan -f examples/retentionpolicy-demo.yaml --registry ${local}`);
    const plan = await planFromRegistry({ file: policyFile, registry: local, output: 'table' });
    console.log(renderPlanTable(plan));

    step('Admission: the kube-apiserver calls our webhook over TLS');
    const now = new Date();
    const ca = await createCertificateAuthority({ commonName: 'dockmaster-demo-ca', now, lifetimeMs: 24 * 3600_000 });
    const serving = await issueServingCertificate({ ca, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], now, lifetimeMs: 24 * 3600_000 });
    const policy = new AdmissionPolicyHolder({ mode: 'enforce', allowedRegistries: ['registry.k8s.io'], exemptNamespaces: ['kube-system'] }, 'dockmaster-system');
    policy.setRegistrySources([{ registry: `${NS}/playground`, hostnames: [], endpoint: `playground.${NS}.svc:5000` }]);
    const webhook = buildWebhookServer({ policy, certificateSource: new MutableCertificateSource({ cert: serving.certPem, key: serving.keyPem }) });
    await webhook.listen({ host: '127.0.0.1', port: 0 });
    cleanups.unshift(() => webhook.close());
    const port = (webhook.server.address() as { port: number }).port;
    const vwc = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'dockmaster-image-sources' },
      webhooks: [
        {
          name: 'image-sources.dockmaster.dev',
          clientConfig: { url: `https://127.0.0.1:${port}/validate`, caBundle: Buffer.from(ca.certPem).toString('base64') },
          rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'pods/ephemeralcontainers'] }, { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }],
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 5,
          namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] },
        },
      ],
    };
    const vwcFile = path.join(plane.dir, 'webhook.json');
    writeFileSync(vwcFile, JSON.stringify(vwc));
    await show(kc, ['apply', '-f', vwcFile]);
    // The apiserver picks up new webhook configurations asynchronously: retry the allowed pod.
    let lastProbe = '';
    await waitFor('the webhook to be active', async () => {
      const r = await kubectl(kc, ['-n', NS, 'run', 'probe', '--image=registry.k8s.io/pause:3.10', '--dry-run=server']);
      lastProbe = r.stderr;
      return r.exitCode === 0 ? true : undefined;
    }, 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}: ${lastProbe}`);
    });
    console.log(`$ kubectl -n ${NS} run web --image=playground.${NS}.svc:5000/demo/web:v1.5.0`);
    const allowed = await kubectl(kc, ['-n', NS, 'run', 'web', `--image=playground.${NS}.svc:5000/demo/web:v1.5.0`]);
    process.stdout.write(allowed.stdout + allowed.stderr);
    console.log(`$ kubectl -n ${NS} run evil --image=nginx`);
    const denied = await kubectl(kc, ['-n', NS, 'run', 'evil', '--image=nginx']);
    process.stdout.write(denied.stdout + denied.stderr);
    if (allowed.exitCode !== 0 || denied.exitCode === 0 || !/denied/i.test(denied.stderr)) throw new Error('Admission did not behave as expected');

    step(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log('Not in the demo yet: scheduled RetentionPolicy runs that delete, and GC windows (their controllers are not built yet).');
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
