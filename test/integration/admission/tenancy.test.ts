/**
 * The trust model of admission on the real apiserver, with a tenant impersonated under real
 * RBAC (rights on dockmaster.dev resources in its own namespace only): its Registry cannot widen
 * what another namespace may run, cannot claim public hosts, and says why in its status; the
 * admin's configuration opens one namespace cluster-wide and maps hostnames; conflicting claims
 * admit neither; per-namespace rules by labels tighten; image IDs are denied.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdmit } from '../../../src/cli/admit.js';
import { parseOperatorConfig } from '../../../src/config/operator-config.js';
import { createRegistryController } from '../../../src/controllers/registry/controller.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { loadKubeConfig } from '../../../src/runtime/kube-client.js';
import { Manager } from '../../../src/runtime/manager.js';
import { kubectl, kubectlOk } from '../../controlplane/kubectl.js';
import { sharedControlPlane, uniqueNamespaceName } from '../../controlplane/shared.js';
import { installRegistryCrd } from '../controllers/registry/registry-crd.js';
import { eventually } from '../runtime/wait.js';
import { startWebhookUnderTest, waitUntilActive, type WebhookUnderTest } from './webhook-under-test.js';
import { createTestKubeClients } from '../../harness/typed-clients.js';

const HEX = 'b'.repeat(64);

describe('admission trust boundaries with tenants (impersonated users, real RBAC)', () => {
  const kc = sharedControlPlane().kubeconfigPath;
  const id = uniqueNamespaceName('ten').slice(4);
  const teamA = `ten-a-${id}`;
  const teamB = `ten-b-${id}`;
  const shared = `ten-reg-${id}`;
  const relaxed = `ten-c-${id}`;
  const tenant = `tenant-b-${id}`;
  const domain = `reg-${id}.example.com`;
  let under: WebhookUnderTest;
  let controllers: Manager | undefined;
  let probes = 0;

  const admission = {
    mode: 'enforce' as const,
    allowedRegistries: ['registry.k8s.io'],
    registries: { clusterWideNamespaces: [shared], hostnames: [{ pattern: `*.${domain}`, namespace: shared }] },
    namespaces: [
      { matchLabels: { [`tier-${id}`]: 'prod' }, requireDigest: true },
      { names: [relaxed], mode: 'warn' as const, allowedRegistries: [`golden-${id}.example.com/base:1.0`] },
    ],
  };

  /** Whether the apiserver, calling the webhook, would admit a Pod with `image` in `namespace`. */
  async function admitted(namespace: string, image: string): Promise<boolean> {
    const result = await kubectl(kc, ['-n', namespace, 'run', `probe-${probes++}`, `--image=${image}`, '--dry-run=server']);
    if (result.exitCode !== 0 && !/denied|not allowed/i.test(result.stderr)) throw new Error(`unexpected failure: ${result.stderr}`);
    return result.exitCode === 0;
  }

  const registry = (name: string, hostnames: string[]) =>
    stringify({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name }, spec: { replicas: 0, storage: { emptyDir: {} }, hostnames } });

  beforeAll(async () => {
    const admin = createTestKubeClients(loadKubeConfig({ kubeconfigPath: kc }));
    await installRegistryCrd(admin);
    under = await startWebhookUnderTest(kc, id, admission);
    for (const ns of [teamA, teamB, shared, relaxed]) await under.namespace(ns);
    // The tenant: every verb on dockmaster.dev resources in team-b, nothing else anywhere.
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'dockmaster-tenant' }, rules: [{ apiGroups: ['dockmaster.dev'], resources: ['registries', 'retentionpolicies'], verbs: ['*'] }] };
    await kubectlOk(kc, ['-n', teamB, 'apply', '-f', '-'], stringify(role));
    await kubectlOk(kc, ['-n', teamB, 'create', 'rolebinding', 'dockmaster-tenant', '--role=dockmaster-tenant', `--user=${tenant}`]);
    // The Registry controller of team-b, for the AdmissionSources condition (same config as the webhook).
    controllers = new Manager({
      kubeConfig: loadKubeConfig({ kubeconfigPath: kc }),
      logger: silentLogger(),
      namespaces: [teamB],
      leaderElection: false,
      controllers: [createRegistryController({ resolveEndpoint: undefined, admissionSources: parseOperatorConfig({ admission }).admission.registries })],
    });
    await controllers.start();
    await waitUntilActive(async () => !(await admitted(teamA, 'evil.example.com/x:1')));
  }, 120_000);

  afterAll(async () => {
    await controllers?.stop();
    await under?.stop();
  }, 60_000);

  it("team-b's Registry claiming evil.io, docker.io and ghcr.io changes nothing for team-a, nor for team-b", async () => {
    const denied = await kubectl(kc, ['--as', tenant, '-n', teamA, 'apply', '-f', '-'], registry('evil', []));
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toMatch(/forbidden/i);
    const applied = await kubectl(kc, ['--as', tenant, '-n', teamB, 'apply', '-f', '-'], registry('evil', [`evil-${id}.io`, 'docker.io', 'ghcr.io']));
    expect(applied.exitCode, applied.stderr).toBe(0);
    // Its own endpoint becomes admissible in its own namespace: the feed has seen the Registry.
    await eventually(async () => expect(await admitted(teamB, `evil.${teamB}.svc:5000/app:1`)).toBe(true), 15_000, 200);
    for (const ns of [teamA, teamB]) {
      expect(await admitted(ns, `evil-${id}.io/miner:1`)).toBe(false);
      expect(await admitted(ns, 'docker.io/anyone/x:1')).toBe(false);
      expect(await admitted(ns, 'ghcr.io/anyone/x:1')).toBe(false);
    }
    expect(await admitted(teamA, `evil.${teamB}.svc:5000/app:1`)).toBe(false);
  });

  it('the Registry says which hostnames are ignored and which configuration key to change', async () => {
    await eventually(async () => {
      const conditions = JSON.parse(await kubectlOk(kc, ['-n', teamB, 'get', 'registry', 'evil', '-o', 'jsonpath={.status.conditions}'])) as Array<{ type: string; status: string; reason: string; message: string }>;
      const sources = conditions.find((c) => c.type === 'AdmissionSources');
      expect(sources).toMatchObject({ status: 'False', reason: 'HostnamesIgnored' });
      expect(sources?.message).toContain('admission.registries.hostnames');
      expect(sources?.message).toContain('docker.io is a public registry');
      expect(sources?.message).toContain(`in namespace ${teamB} only`);
    }, 30_000, 250);
  });

  it("the admin's configuration opens the shared namespace's Registries cluster-wide; two claimants of a hostname admit neither", async () => {
    await kubectlOk(kc, ['-n', shared, 'apply', '-f', '-'], registry('main', [`main.${domain}`, `cache.${domain}`]));
    await eventually(async () => expect(await admitted(teamA, `main.${domain}/app:1`)).toBe(true), 15_000, 200);
    expect(await admitted(teamA, `main.${shared}.svc:5000/app:1`)).toBe(true);
    expect(await admitted(teamA, `cache.${domain}/app:1`)).toBe(true);
    // A second Registry claims cache.<domain>: from then on neither is admitted for it.
    await kubectlOk(kc, ['-n', shared, 'apply', '-f', '-'], registry('squat', [`cache.${domain}`]));
    await eventually(async () => expect(await admitted(teamA, `cache.${domain}/app:1`)).toBe(false), 15_000, 200);
    expect(await admitted(teamA, `main.${domain}/app:1`)).toBe(true);
    // The tenant cannot take a name under the pattern: it maps to the shared namespace only.
    await kubectlOk(kc, ['--as', tenant, '-n', teamB, 'apply', '-f', '-'], registry('evil', [`evil.${domain}`]));
    await eventually(async () => expect(await admitted(teamB, `evil.${teamB}.svc:5000/app:2`)).toBe(true), 15_000, 200);
    expect(await admitted(teamB, `evil.${domain}/app:1`)).toBe(false);
  });

  it('a rule selected by name sets that namespace\'s mode and extra entries (an exact image) there only', async () => {
    const warned = await kubectl(kc, ['-n', relaxed, 'run', 'warned', '--image=evil.example.com/x:1', '--dry-run=server']);
    expect(warned.exitCode, warned.stderr).toBe(0);
    expect(warned.stderr).toContain('Warning: dockmaster:');
    expect(await admitted(teamA, 'evil.example.com/x:1')).toBe(false);
    const golden = await kubectl(kc, ['-n', relaxed, 'run', 'golden', `--image=golden-${id}.example.com/base:1.0`, '--dry-run=server']);
    expect(golden.stderr).toBe('');
    expect(await admitted(teamA, `golden-${id}.example.com/base:1.0`)).toBe(false);
  });

  it('a rule selected by namespace labels tightens (requireDigest); image IDs are denied', async () => {
    expect(await admitted(teamA, 'registry.k8s.io/pause:3.10')).toBe(true);
    await kubectlOk(kc, ['label', 'namespace', teamA, `tier-${id}=prod`]);
    await eventually(async () => expect(await admitted(teamA, 'registry.k8s.io/pause:3.10')).toBe(false), 15_000, 200);
    expect(await admitted(teamA, `registry.k8s.io/pause@sha256:${HEX}`)).toBe(true);
    const result = await kubectl(kc, ['-n', teamA, 'run', 'by-id', `--image=sha256:${HEX}`, '--dry-run=server']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('image ID');
    expect(result.stderr).toContain('resolves from the images already on the node');
  });

  it('dockmaster admit --from-cluster lists the running workloads a stricter configuration would deny, before it is enforced', async () => {
    // A namespace the test webhook does not watch, as a cluster before the upgrade: a Registry
    // whose hostname nobody mapped, and a Deployment pulling from that hostname.
    const legacy = `ten-legacy-${id}`;
    await kubectlOk(kc, ['create', 'namespace', legacy]);
    try {
      await kubectlOk(kc, ['-n', legacy, 'apply', '-f', '-'], registry('old', [`legacy-${id}.example.com`]));
      await kubectlOk(kc, ['-n', legacy, 'create', 'deployment', 'web', `--image=legacy-${id}.example.com/app:1`]);
      const dir = await mkdtemp(join(tmpdir(), 'dm-admit-'));
      const config = join(dir, 'config.yaml');
      await writeFile(config, stringify({ admission: { mode: 'enforce', allowedRegistries: ['registry.k8s.io'] } }));
      const out: string[] = [];
      const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { out.push(chunk.toString()); done(); } });
      const code = await runAdmit({ fromCluster: true, kubeconfig: kc, config, allow: [], output: 'json' }, { stdin: process.stdin, stdout: sink, stderr: sink });
      const report = JSON.parse(out.join('')) as { results: Array<{ kind: string; namespace: string; name: string; allowed: boolean; violations: Array<{ image: string; problem?: string }> }> };
      expect(code).toBe(1);
      expect(report.results.find((r) => r.namespace === legacy && r.name === 'web')).toMatchObject({
        kind: 'Deployment',
        allowed: false,
        violations: [{ image: `legacy-${id}.example.com/app:1`, problem: 'is not from an allowed source' }],
      });
      // The Deployment's ReplicaSet and Pods are judged through it, not listed again.
      expect(report.results.filter((r) => r.namespace === legacy).map((r) => r.kind)).toEqual(['Deployment']);
    } finally {
      await kubectl(kc, ['delete', 'namespace', legacy, '--wait=false']);
    }
  });
});
