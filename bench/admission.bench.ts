/**
 * Admission webhook benchmark (issue 7): latency and throughput of the real admission route
 * (HTTPS, a Pod with several containers judged against the allow list) beside a bare Fastify
 * HTTPS route returning a fixed AdmissionReview. Each server runs in a child process and is
 * loaded over loopback from this one: at a fixed 1000 requests/s by an open-loop generator
 * (bench/lib/paced-load.ts says why not autocannon's overallRate), then as fast as it goes with
 * autocannon. `npx tsx bench/admission.bench.ts [--quick]`; the last line is JSON.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { pacedLoad, type PacedLoadFigures } from './lib/paced-load.js';
import { shippedNodeFlags } from './lib/shipped-node-options.js';

const quick = process.argv.includes('--quick');
const DURATION_S = quick ? 5 : 60;
const WARMUP_S = quick ? 1 : 5;
const FIXED_RATE = 1000;
const CONNECTIONS = 10;
const TARGETS = { p99AtFixedRateMsMax: 5, throughputRatioMin: 0.7 };
const WEBHOOK_NODE_FLAGS = shippedNodeFlags('deploy/webhook-deployment.yaml', 'webhook');

/** What the apiserver sends for `kubectl apply` of a Pod with two init and four app containers. */
const REVIEW = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: '0d9c6a52-1b7e-4c8e-9f0e-2a7f1f0f3b11',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    requestKind: { group: '', version: 'v1', kind: 'Pod' },
    namespace: 'apps',
    name: 'web-7d4b9c',
    operation: 'CREATE',
    userInfo: { username: 'alice', groups: ['system:authenticated'] },
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-7d4b9c', namespace: 'apps', labels: { app: 'web' } },
      spec: {
        initContainers: [
          { name: 'migrate', image: 'registry.example.com/team/migrate:2.1' },
          { name: 'wait', image: 'busybox:1.36' },
        ],
        containers: [
          { name: 'web', image: 'main.apps.svc:5000/team/web@sha256:' + 'a'.repeat(64), ports: [{ containerPort: 8080 }] },
          { name: 'sidecar', image: 'ghcr.io/acme/proxy:1.4' },
          { name: 'metrics', image: 'registry.k8s.io/prometheus-adapter:v0.12.0' },
          { name: 'shell', image: 'docker.io/library/alpine:3.20' },
        ],
      },
    },
    oldObject: null,
    dryRun: false,
    options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
  },
});

interface Figures {
  p50Ms: number;
  p99Ms: number;
  rps: number;
  requests: number;
  errors: number;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function startServer(mode: 'admission' | 'bare'): Promise<{ child: ChildProcess; port: number }> {
  // Both servers run under the webhook container's NODE_OPTIONS (deploy/), so the figures are the shipped process's.
  const child = spawn(process.execPath, [...WEBHOOK_NODE_FLAGS, '--import', 'tsx', 'bench/lib/admission-server.ts', mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  return { child, port };
}

async function load(port: number, durationS: number): Promise<Figures> {
  const result = await autocannon({
    url: `https://127.0.0.1:${port}/validate`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: REVIEW,
    connections: CONNECTIONS,
    duration: durationS,
    tlsOptions: { rejectUnauthorized: false },
  } as autocannon.Options);
  return {
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    rps: Math.round(result.requests.average),
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

async function checkAnswer(port: number): Promise<void> {
  const { Agent, request } = await import('undici');
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  const response = await request(`https://127.0.0.1:${port}/validate`, { method: 'POST', body: REVIEW, headers: { 'content-type': 'application/json' }, dispatcher });
  const review = (await response.body.json()) as { response?: { allowed?: boolean; status?: { message?: string } } };
  await dispatcher.close();
  // Every image of the bench Pod comes from an allowed source: the route does the full judgement.
  if (review.response?.allowed !== true) throw new Error(`the admission route did not admit the bench Pod: ${JSON.stringify(review)}`);
}

type Mode = 'admission' | 'bare';
/** Full-speed load runs in slices, alternating the two servers: the machine's load drifts over minutes. */
const SLICES = quick ? 2 : 6;

async function fixedRate(mode: Mode, port: number): Promise<PacedLoadFigures> {
  const fixed = await pacedLoad({ origin: `https://127.0.0.1:${port}`, path: '/validate', body: REVIEW, ratePerSecond: FIXED_RATE, durationS: DURATION_S, connections: CONNECTIONS });
  log(
    `${mode.padEnd(9)} at ${FIXED_RATE} req/s: p50 ${fixed.p50Ms} ms, p99 ${fixed.p99Ms} ms, max ${fixed.maxMs} ms, ${fixed.rps} req/s, ` +
      `${fixed.requests} requests, ${fixed.errors} errors (generator timer lag up to ${fixed.maxScheduleLagMs} ms)`,
  );
  return fixed;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** Slices of DURATION_S / SLICES seconds, admission and bare taking turns; totals and medians per mode. */
async function interleavedMax(ports: Record<Mode, number>): Promise<Record<Mode, Figures & { sliceRps: number[] }>> {
  const slices: Record<Mode, Figures[]> = { admission: [], bare: [] };
  const sliceS = DURATION_S / SLICES;
  for (let i = 0; i < SLICES; i++) {
    // Alternate which goes first, so neither always follows the other's tail.
    const order: Mode[] = i % 2 === 0 ? ['bare', 'admission'] : ['admission', 'bare'];
    for (const mode of order) slices[mode].push(await load(ports[mode], sliceS));
  }
  const summarize = (figures: Figures[]): Figures & { sliceRps: number[] } => {
    const requests = figures.reduce((sum, f) => sum + f.requests, 0);
    return {
      p50Ms: median(figures.map((f) => f.p50Ms)),
      p99Ms: median(figures.map((f) => f.p99Ms)),
      rps: Math.round(requests / DURATION_S),
      requests,
      errors: figures.reduce((sum, f) => sum + f.errors, 0),
      sliceRps: figures.map((f) => f.rps),
    };
  };
  return { admission: summarize(slices.admission), bare: summarize(slices.bare) };
}

async function main(): Promise<number> {
  log(`Admission bench${quick ? ' (--quick)' : ''}: ${DURATION_S} s per run, ${CONNECTIONS} connections, HTTPS on loopback, a Pod with 6 containers, node ${WEBHOOK_NODE_FLAGS.join(' ')}; load average ${loadavg()[0]?.toFixed(2)} on ${cpus().length} CPUs`);
  const servers = { bare: await startServer('bare'), admission: await startServer('admission') };
  try {
    await checkAnswer(servers.admission.port);
    for (const server of Object.values(servers)) await load(server.port, WARMUP_S);
    const fixed = { bare: await fixedRate('bare', servers.bare.port), admission: await fixedRate('admission', servers.admission.port) };
    const max = await interleavedMax({ bare: servers.bare.port, admission: servers.admission.port });
    for (const mode of ['bare', 'admission'] as const) {
      const m = max[mode];
      log(`${mode.padEnd(9)} max (${SLICES} slices): p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, ${m.rps} req/s (slices: ${m.sliceRps.join(', ')}), ${m.requests} requests, ${m.errors} errors`);
    }
    const admission = { fixed: fixed.admission, max: max.admission };
    const bare = { fixed: fixed.bare, max: max.bare };
    const throughputRatio = Number((admission.max.requests / bare.max.requests).toFixed(3));
    const errors = bare.fixed.errors + bare.max.errors + admission.fixed.errors + admission.max.errors;
    const pass = admission.fixed.p99Ms < TARGETS.p99AtFixedRateMsMax && throughputRatio >= TARGETS.throughputRatioMin && errors === 0;
    log(`throughput ratio admission/bare: ${throughputRatio}`);
    log(JSON.stringify({ bench: 'admission', quick, durationS: DURATION_S, slices: SLICES, admission, bare, throughputRatio, errors, targets: TARGETS, pass }));
    return pass ? 0 : 1;
  } finally {
    for (const server of Object.values(servers)) server.child.kill('SIGTERM');
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
