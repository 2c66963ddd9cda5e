/**
 * A flood of maximal AdmissionReviews (120,000 containers, just under the 7 MiB body limit) at `dockmaster webhook`,
 * run as deploy/ runs it (its NODE_OPTIONS heap cap): every review is answered (denied for its
 * size, or 429 past the in-flight budget), the process stays alive and keeps judging, and its
 * peak RSS stays under deploy/'s memory limit. Bounded in count and time; loopback only. The
 * longer flood with figures is bench/admission-flood.bench.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { bundleOperator } from '../../../bench/lib/operator-child.js';
import { createCertificateAuthority, issueServingCertificate } from '../../../src/admission/certs/issue-certificates.js';
import { sharedControlPlane } from '../../controlplane/shared.js';
import { installRegistryCrd } from '../controllers/registry/registry-crd.js';
import { loadKubeConfig } from '../../../src/runtime/kube-client.js';
import { freePort } from '../cli/operator-process.js';
import { eventually } from '../runtime/wait.js';
import { createTestKubeClients } from '../../harness/typed-clients.js';

const REVIEWS = 24;
const AT_ONCE = 12;

/** deploy/'s webhook container: its memory limit and NODE_OPTIONS. */
async function deployedLimits(): Promise<{ limitBytes: number; nodeOptions: string }> {
  const text = await readFile('deploy/webhook-deployment.yaml', 'utf8');
  const deployment = parse(text.split('\n---\n')[0]!) as {
    spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }>; resources: { limits: { memory: string } } }> } } };
  };
  const container = deployment.spec.template.spec.containers[0]!;
  const mi = /^(\d+)Mi$/.exec(container.resources.limits.memory);
  if (!mi) throw new Error(`unexpected memory limit ${container.resources.limits.memory}`);
  return { limitBytes: Number(mi[1]) * 1024 * 1024, nodeOptions: container.env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '' };
}

/** As large as the webhook accepts (7 MiB): about 120,000 containers. */
function maximalReview(uid: string): string {
  const containers = Array.from({ length: 120_000 }, (_, i) => ({ name: `c${i}`, image: `evil.example.com/miner${i % 97}:1.0` }));
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'flood',
      operation: 'CREATE',
      userInfo: { username: 'flood' },
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: uid, namespace: 'flood' }, spec: { containers } },
    },
  });
}

async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb) * 1024;
}

describe('a flood of maximal AdmissionReviews', () => {
  let child: ChildProcess;
  let stderr = '';
  let port = 0;
  let dispatcher: Agent;

  beforeAll(async () => {
    const kc = sharedControlPlane().kubeconfigPath;
    await installRegistryCrd(createTestKubeClients(loadKubeConfig({ kubeconfigPath: kc })));
    const dir = await mkdtemp(join(tmpdir(), 'dm-flood-'));
    const now = new Date();
    const ca = await createCertificateAuthority({ commonName: 'flood-ca', now, lifetimeMs: 3_600_000 });
    const serving = await issueServingCertificate({ ca, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], now, lifetimeMs: 3_600_000 });
    await writeFile(join(dir, 'tls.crt'), serving.certPem);
    await writeFile(join(dir, 'tls.key'), serving.keyPem);
    port = await freePort();
    const config = {
      namespace: 'dm-flood',
      admission: { allowedRegistries: ['registry.k8s.io'], webhook: { host: '127.0.0.1', port, register: false, certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') } },
    };
    await writeFile(join(dir, 'config.yaml'), stringify(config));
    const { nodeOptions } = await deployedLimits();
    // The shipped package runs compiled code under plain node; tsx's loader alone would hold ~120 MB.
    const bundle = await bundleOperator();
    child = spawn(process.execPath, [bundle, 'webhook', '--kubeconfig', kc, '--config', join(dir, 'config.yaml')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DOCKMASTER_LOG_LEVEL: 'error', NODE_OPTIONS: nodeOptions },
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    dispatcher = new Agent({ connect: { ca: ca.certPem }, connections: AT_ONCE });
    await eventually(async () => expect((await fetch(`https://127.0.0.1:${port}/readyz`, { dispatcher })).status, stderr).toBe(200), 60_000, 250);
  }, 90_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await dispatcher?.close();
  });

  const post = async (body: string): Promise<{ status: number; text: string }> => {
    const res = await fetch(`https://127.0.0.1:${port}/validate`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher });
    return { status: res.status, text: await res.text() };
  };

  it('answers every review, stays alive and judging, and peaks under the memory limit of deploy/', async () => {
    const { limitBytes } = await deployedLimits();
    const idle = await peakRss(child.pid!);
    process.stdout.write(`[flood] idle peak RSS ${(idle / 1048576).toFixed(0)} MiB\n`);
    const body = maximalReview('flood');
    expect(body.length).toBeGreaterThan(6.5 * 1024 * 1024);
    expect(body.length).toBeLessThan(7 * 1024 * 1024);
    const statuses: number[] = [];
    const started = Date.now();
    for (let sent = 0; sent < REVIEWS; sent += AT_ONCE) {
      const answers = await Promise.all(Array.from({ length: Math.min(AT_ONCE, REVIEWS - sent) }, () => post(body).catch((error: unknown) => {
        throw new Error(`${String(error)} ${String((error as { cause?: unknown }).cause)}; alive: ${child.exitCode === null}; stderr: ${stderr.slice(-2000)}`);
      })));
      for (const answer of answers) {
        statuses.push(answer.status);
        if (answer.status === 200) expect(answer.text).toContain('more than the 500 dockmaster judges in one object');
      }
    }
    const seconds = (Date.now() - started) / 1000;
    expect(statuses.every((s) => s === 200 || s === 429), statuses.join(',')).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(child.exitCode, stderr).toBeNull();
    // Still judging, ordinary reviews included.
    const small = JSON.parse(body) as { request: { object: { spec: { containers: unknown[] } } } };
    small.request.object.spec.containers = [{ name: 'web', image: 'evil.example.com/x:1' }];
    const answer = await post(JSON.stringify(small));
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('not from an allowed source');
    const peak = await peakRss(child.pid!);
    process.stdout.write(
      `[flood] ${REVIEWS} reviews of ${(body.length / 1e6).toFixed(1)} MB, ${AT_ONCE} at a time, in ${seconds.toFixed(1)} s: ` +
        `${statuses.filter((s) => s === 200).length} judged, ${statuses.filter((s) => s === 429).length} answered 429; ` +
        `peak RSS ${(peak / 1048576).toFixed(0)} MiB (limit ${(limitBytes / 1048576).toFixed(0)} MiB)\n`,
    );
    expect(peak).toBeLessThan(limitBytes);
  }, 120_000);
});
