/**
 * Start-up of the CLI as users run it (issue 21): the built `bin/dockmaster.js` against
 * `node -e 0` in the same run, medians of 5, with each process's peak RSS (GNU time's %M).
 * `npx tsx bench/startup.bench.ts [--quick]` builds dist/ first. `BENCH_NODE=/path/to/node`
 * measures another Node.js (both the baseline and the CLI run on it): how the Node 24 decision
 * in docs/benchmarks.md was measured. It also measures `retention plan` from its start to its
 * first request to a registry, and, on a control plane of its own (`--no-cluster` skips it), the
 * operator with no Registry and the webhook, each idle under deploy/'s NODE_OPTIONS, beside the
 * floor of the same Node.js under the same flags (an HTTPS server with nothing behind it).
 * The operator with 500 Registries is bench/reconcile-scale.bench.ts's.
 */
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startControlPlane } from '../test/controlplane/control-plane.js';
import { kubectlOk } from '../test/controlplane/kubectl.js';
import { checkTargets, log, printResult, runBench, sleep } from './lib/bench-output.js';
import { freeLoopbackPort } from './lib/operator-child.js';
import { readProcessMemory } from './lib/process-stats.js';
import { shippedNodeFlags } from './lib/shipped-node-options.js';

const run = promisify(execFile);
const quick = process.argv.includes('--quick');
const withCluster = !process.argv.includes('--no-cluster');
const RUNS = quick ? 3 : 5;
/** How long a server process idles after /readyz before its RSS is read. */
const IDLE_MS = quick ? 5_000 : 15_000;
const TARGETS = {
  versionOverNode: 2,
  helpOverNode: 2,
  admitOverNode: 3,
  admitPeakMiB: 70,
  admit200OverAdmit1: 2,
  retentionPlanFirstRequestOverNode: 3,
  operatorIdleMb: 80,
  webhookIdleMb: 60,
};

const pod = (i: number): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}, namespace: default}\nspec: {containers: [{name: c, image: registry.k8s.io/pause:3.10}]}\n`;

/** Wall seconds and peak RSS (MiB) of one process, from GNU time; the command's own exit code is ignored. */
async function measureOnce(args: string[]): Promise<{ seconds: number; peakMiB: number }> {
  const started = performance.now();
  const { stderr } = await run('/usr/bin/time', ['-f', 'TIME %M', ...args]).catch((error: { stderr?: string }) => ({ stderr: error.stderr ?? '' }));
  const seconds = (performance.now() - started) / 1000;
  const kb = Number(/TIME (\d+)/.exec(stderr)?.[1] ?? NaN);
  return { seconds, peakMiB: kb / 1024 };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(label: string, args: string[]): Promise<{ seconds: number; peakMiB: number }> {
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push(await measureOnce(args));
  const result = { seconds: median(samples.map((s) => s.seconds)), peakMiB: median(samples.map((s) => s.peakMiB)) };
  log(`${label.padEnd(34)} ${result.seconds.toFixed(3)} s  ${result.peakMiB.toFixed(0)} MiB`);
  return result;
}

const POLICY = `apiVersion: dockmaster.dev/v1alpha1
kind: RetentionPolicy
metadata: {name: startup, namespace: default}
spec:
  external: {url: "https://registry.example.com"}
  repositories: ["**"]
  keep: [{mostRecent: 5}]
`;

/**
 * Seconds from spawning `retention plan` to its first request to the registry: a loopback HTTP
 * server that notes the time and answers an empty catalog (the plan then ends).
 */
async function planToFirstRequest(cli: string[], policyFile: string): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let started = 0;
    let first = 0;
    const server = createServer((req, res) => {
      if (first === 0) first = performance.now();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url?.startsWith('/v2/_catalog') ? '{"repositories":[]}' : '{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    started = performance.now();
    const child = spawn(cli[0]!, [...cli.slice(1), 'retention', 'plan', '-f', policyFile, '--registry', `http://127.0.0.1:${port}`, '--no-in-use'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('exit', resolve));
    server.close();
    if (first === 0) throw new Error('retention plan made no request to the registry');
    samples.push((first - started) / 1000);
  }
  const result = median(samples);
  log(`${'retention plan, to its first request'.padEnd(34)} ${result.toFixed(3)} s`);
  return result;
}

/** Starts a server subcommand of the bundle, waits for /readyz, idles, and reads its memory. */
async function idleServer(label: string, nodeBinary: string, args: string[], nodeFlags: string[], healthPort: number): Promise<{ rssMb: number; anonMb: number }> {
  const child = spawn(nodeBinary, [...nodeFlags, 'bin/dockmaster.js', ...args, '--health-address', '127.0.0.1', '--health-port', String(healthPort)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DOCKMASTER_LOG_LEVEL: 'warn', POD_NAME: `${label}-0` },
  });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${label} exited with ${child.exitCode}`);
      const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then((r) => r.status === 200, () => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`${label} was not ready within 60 s`);
      await sleep(200);
    }
    await sleep(IDLE_MS);
    const memory = await readProcessMemory(child.pid!);
    log(`${`${label}, idle ${IDLE_MS / 1000} s after ready`.padEnd(34)} RSS ${memory.rssMb.toFixed(0)} MB (own ${memory.anonMb.toFixed(0)} MB, the rest mapped from the node binary)`);
    return { rssMb: memory.rssMb, anonMb: memory.anonMb };
  } finally {
    child.kill('SIGKILL');
  }
}

/**
 * The floor under both servers: the same Node.js, under the same flags, idling with an HTTPS
 * server that has nothing behind it. What a server holds above it is what dockmaster loads.
 */
async function idleFloor(nodeBinary: string, nodeFlags: string[]): Promise<{ rssMb: number; anonMb: number }> {
  const child = spawn(nodeBinary, [...nodeFlags, '-e', "require('node:https').createServer().listen(0, '127.0.0.1')"], { stdio: 'ignore' });
  try {
    await sleep(IDLE_MS);
    const memory = await readProcessMemory(child.pid!);
    log(`${`node, an HTTPS server, idle ${IDLE_MS / 1000} s`.padEnd(34)} RSS ${memory.rssMb.toFixed(0)} MB (own ${memory.anonMb.toFixed(0)} MB): the floor`);
    return { rssMb: memory.rssMb, anonMb: memory.anonMb };
  } finally {
    child.kill('SIGKILL');
  }
}

/** The operator (no Registry) and the webhook idle on a control plane of the bench's own. */
async function idleServers(nodeBinary: string, dir: string): Promise<{ floor: { rssMb: number; anonMb: number }; operator: { rssMb: number; anonMb: number }; webhook: { rssMb: number; anonMb: number } }> {
  const floor = await idleFloor(nodeBinary, shippedNodeFlags());
  const plane = await startControlPlane({ log: (line) => log(`[controlplane] ${line}`) });
  try {
    const kc = plane.kubeconfigPath;
    await kubectlOk(kc, ['apply', '-f', 'crds/dockmaster.dev_registries.yaml', '-f', 'crds/dockmaster.dev_retentionpolicies.yaml']);
    await kubectlOk(kc, ['wait', '--for=condition=Established', 'crd/registries.dockmaster.dev', 'crd/retentionpolicies.dockmaster.dev', '--timeout=60s']);
    await kubectlOk(kc, ['create', 'namespace', 'dockmaster-system']);
    const operator = await idleServer('operator', nodeBinary, ['operator', '--kubeconfig', kc, '--no-leader-elect'], shippedNodeFlags(), await freeLoopbackPort());
    const webhookConfig = path.join(dir, 'webhook.yaml');
    const webhookPort = await freeLoopbackPort();
    await writeFile(webhookConfig, JSON.stringify({ namespace: 'dockmaster-system', admission: { allowedRegistries: ['registry.k8s.io'], webhook: { host: '127.0.0.1', port: webhookPort } } }));
    const webhook = await idleServer('webhook', nodeBinary, ['webhook', '--kubeconfig', kc, '--config', webhookConfig], shippedNodeFlags('deploy/webhook-deployment.yaml', 'webhook'), await freeLoopbackPort());
    return { floor, operator, webhook };
  } finally {
    await plane.stop();
  }
}

async function main(): Promise<number> {
  await run('npm', ['run', '--silent', 'build']);
  const dir = await mkdtemp(path.join(tmpdir(), 'dm-startup-'));
  try {
    const one = path.join(dir, 'pod.yaml');
    const many = path.join(dir, 'pods.yaml');
    await writeFile(one, pod(0));
    await writeFile(many, Array.from({ length: 200 }, (_, i) => pod(i)).join('---\n'));
    const nodeBinary = process.env.BENCH_NODE ?? 'node';
    log(`Node.js: ${(await run(nodeBinary, ['--version'])).stdout.trim()}`);
    const cli = [nodeBinary, 'bin/dockmaster.js'];
    const node = await measure('node -e 0', [nodeBinary, '-e', '0']);
    const version = await measure('dockmaster version', [...cli, 'version']);
    const help = await measure('dockmaster --help', [...cli, '--help']);
    const admit = await measure('dockmaster admit (1 Pod)', [...cli, 'admit', '-f', one, '--allow', 'registry.k8s.io']);
    const admit200 = await measure('dockmaster admit (200 Pods, one call)', [...cli, 'admit', '-f', many, '--allow', 'registry.k8s.io']);
    const policyFile = path.join(dir, 'policy.yaml');
    await writeFile(policyFile, POLICY);
    const planFirstRequest = await planToFirstRequest(cli, policyFile);
    const servers = withCluster ? await idleServers(nodeBinary, dir) : undefined;
    const ratio = (a: { seconds: number }, b: { seconds: number }): number => Number((a.seconds / b.seconds).toFixed(2));
    const verdict = checkTargets({
      versionOverNode: { value: ratio(version, node), max: TARGETS.versionOverNode },
      helpOverNode: { value: ratio(help, node), max: TARGETS.helpOverNode },
      admitOverNode: { value: ratio(admit, node), max: TARGETS.admitOverNode },
      admitPeakMiB: { value: Math.round(admit.peakMiB), max: TARGETS.admitPeakMiB },
      admit200OverAdmit1: { value: ratio(admit200, admit), max: TARGETS.admit200OverAdmit1 },
      retentionPlanFirstRequestOverNode: { value: ratio({ seconds: planFirstRequest }, node), max: TARGETS.retentionPlanFirstRequestOverNode },
      ...(servers && {
        operatorIdleMb: { value: Math.round(servers.operator.rssMb), max: TARGETS.operatorIdleMb },
        webhookIdleMb: { value: Math.round(servers.webhook.rssMb), max: TARGETS.webhookIdleMb },
      }),
    });
    const figures = {
      ...Object.fromEntries(
        Object.entries({ node, version, help, admit, admit200 }).map(([k, v]) => [k, { seconds: Number(v.seconds.toFixed(3)), peakMiB: Math.round(v.peakMiB) }]),
      ),
      retentionPlanFirstRequestSeconds: Number(planFirstRequest.toFixed(3)),
      ...(servers && {
        idleMb: Object.fromEntries(Object.entries(servers).map(([k, v]) => [k, { rss: Math.round(v.rssMb), own: Math.round(v.anonMb) }])),
      }),
    };
    return printResult('startup', figures, verdict);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

runBench(main);
