/**
 * Soak (issue 9 item 4): `dockmaster operator` (child process, its own user, webhook enabled and
 * registered, so the apiserver calls it for every Deployment the operator applies) while
 * Registries and RetentionPolicies are created, edited and deleted at random (seeded), the
 * admission route takes a steady 200 requests/s from this process, and the kube-apiserver is
 * restarted twice. Afterwards: everything converged, the operator never died, its RSS and open
 * file descriptors at start/middle/end. `npx tsx bench/soak.bench.ts [--quick] [--seed=N]`
 * (quick: 60 s instead of 10 min); the last line is JSON.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBenchCluster, type BenchCluster } from './lib/bench-cluster.js';
import { checkTargets, log, pollUntil, printResult, runBench, sleep } from './lib/bench-output.js';
import { bundleOperator, freeLoopbackPort, OperatorChild } from './lib/operator-child.js';
import { pacedLoad } from './lib/paced-load.js';
import { readOpenFds, readProcessMemory } from './lib/process-stats.js';
import { sumSamples } from './lib/prometheus-text.js';
import { seededRandom, SoakChurn } from './lib/soak-churn.js';
import { checkSoakConvergence, type SoakConvergence } from './lib/soak-convergence.js';
import { REGISTRY_API } from './lib/registry-convergence.js';
import { shippedNodeFlags } from './lib/shipped-node-options.js';

const quick = process.argv.includes('--quick');
const seedArg = process.argv.find((a) => a.startsWith('--seed='));
const SEED = seedArg ? Number(seedArg.slice('--seed='.length)) : 9;
const DURATION_S = quick ? 60 : 600;
const CHURN_INTERVAL_MS = 500;
const LIVE_TARGET = 15;
const ADMISSION_RATE = 200;
const CONVERGE_TIMEOUT_S = 120;
const NAMESPACE = 'soak';
const OPERATOR_NAMESPACE = 'dockmaster-system';
const TARGETS = { rssEndOverMiddleMax: 1.25, fdGrowthMax: 5, admissionErrorsMax: 0, problemsMax: 0 };

/** A Pod as the apiserver sends it for `kubectl apply`: one allowed image, one from elsewhere (denied). */
const REVIEW = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: '5e1c1a52-0000-4c8e-9f0e-2a7f1f0f3b11',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: 'apps',
    name: 'web',
    operation: 'CREATE',
    userInfo: { username: 'alice' },
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'apps' }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'x', image: 'evil.example/x:1' }] } },
  },
});

function operatorConfig(port: number): string {
  return [
    `namespace: ${OPERATOR_NAMESPACE}`,
    'admission:',
    '  mode: enforce',
    '  allowedRegistries: [docker.io/library]',
    '  webhook:',
    '    enabled: true',
    '    host: 127.0.0.1',
    `    port: ${port}`,
    `    url: https://127.0.0.1:${port}/validate`,
  ].join('\n');
}

interface Sample {
  rssMb: number;
  fds: number;
  sockets: number;
  /** Pending setTimeouts in the operator: a RetentionPolicy holds one (its next scheduled look). */
  timers: number;
  handles: number;
  /** Registries and RetentionPolicies the apiserver holds (-1: it could not be asked). */
  liveObjects: number;
}

async function countLiveObjects(cluster: BenchCluster): Promise<number> {
  try {
    const base = `${REGISTRY_API}/namespaces/${NAMESPACE}`;
    return (await cluster.admin.list(`${base}/registries`)).length + (await cluster.admin.list(`${base}/retentionpolicies`)).length;
  } catch {
    return -1;
  }
}

async function sample(operator: OperatorChild, cluster: BenchCluster): Promise<Sample> {
  const memory = await readProcessMemory(operator.pid);
  const fds = await readOpenFds(operator.pid);
  const active = await operator.activeResources();
  return { rssMb: Math.round(memory.rssMb), fds: fds.total, sockets: fds.sockets, ...active, liveObjects: await countLiveObjects(cluster) };
}

const describe = (s: Sample): string => `RSS ${s.rssMb} MB, ${s.fds} fds (${s.sockets} sockets), ${s.timers} timers, ${s.handles} handles, ${s.liveObjects} Registries + RetentionPolicies`;

async function main(): Promise<number> {
  log(`Soak bench${quick ? ' (--quick)' : ''}: ${DURATION_S} s, seed ${SEED}, churn every ${CHURN_INTERVAL_MS} ms, admission at ${ADMISSION_RATE} req/s, 2 apiserver restarts`);
  const workDir = await mkdtemp(path.join(tmpdir(), 'dm-bench-soak-'));
  await bundleOperator();
  const cluster = await startBenchCluster({ namespaces: [NAMESPACE, OPERATOR_NAMESPACE], operatorNamespace: OPERATOR_NAMESPACE });
  let operator: OperatorChild | undefined;
  let exitCode = 1;
  try {
    const webhookPort = await freeLoopbackPort();
    // As deployed: deploy/deployment.yaml's NODE_OPTIONS.
    operator = await OperatorChild.start({ kubeconfig: cluster.operatorKubeconfig, workDir, configYaml: operatorConfig(webhookPort), nodeFlags: shippedNodeFlags() });
    const pid = operator.pid;
    const churn = new SoakChurn(cluster.admin, NAMESPACE, seededRandom(SEED), LIVE_TARGET);
    // Warm-up: a few objects, so that "start" is an operator that has worked, not a cold one.
    for (let i = 0; i < 5; i++) await churn.tick();
    await sleep(5000);
    const start = await sample(operator, cluster);
    log(`start: ${describe(start)}`);

    const began = performance.now();
    const at = (fraction: number): number => began + fraction * DURATION_S * 1000;
    const load = pacedLoad({ origin: `https://127.0.0.1:${webhookPort}`, path: '/validate', body: REVIEW, ratePerSecond: ADMISSION_RATE, durationS: DURATION_S, connections: 4 });
    const restarts: number[] = [];
    let restartsBegun = 0;
    let restarting: Promise<void> | undefined;
    let middle: Sample | undefined;
    let lastReport = began;
    while (performance.now() < at(1)) {
      await churn.tick();
      const now = performance.now();
      // Not awaited: the churn goes on against the stopped apiserver, as clients in a real cluster do.
      if (restarting === undefined && restartsBegun < 2 && now >= at((restartsBegun + 1) / 3)) {
        restartsBegun++;
        const t0 = performance.now();
        log(`  ${((now - began) / 1000).toFixed(0)} s: restarting the kube-apiserver`);
        restarting = cluster.plane.restartApiServer().then(() => {
          restarts.push(Math.round(performance.now() - t0));
          restarting = undefined;
        });
      }
      // Not while the apiserver is down: every watch and kept-alive socket is gone for those seconds.
      if (!middle && now >= at(0.5) && restarting === undefined) {
        middle = await sample(operator, cluster);
        log(`  middle: ${describe(middle)}`);
      }
      if (now - lastReport > 60_000) {
        lastReport = now;
        log(`  ${((now - began) / 1000).toFixed(0)} s: ${JSON.stringify(churn.tally.actions)}, ${churn.tally.failed} failed requests, operator RSS ${(await readProcessMemory(pid)).rssMb.toFixed(0)} MB`);
      }
      await sleep(CHURN_INTERVAL_MS);
    }
    await restarting;
    const admission = await load;
    log(`admission at ${ADMISSION_RATE} req/s: ${admission.requests} requests, ${admission.errors} errors, p50 ${admission.p50Ms} ms, p99 ${admission.p99Ms} ms, max ${admission.maxMs} ms`);
    log(`churn: ${JSON.stringify(churn.tally.actions)}, ${churn.tally.failed} requests failed (apiserver restarts)`);

    const convergeStarted = performance.now();
    let convergence: SoakConvergence | undefined;
    const converged = await pollUntil(async () => {
      try {
        convergence = await checkSoakConvergence(cluster.admin, NAMESPACE, churn.tally.registriesCreated);
      } catch (error) {
        // A kept-alive socket the last restart killed: ask again on the next poll.
        convergence = { registries: 0, policies: 0, problems: [`check failed: ${String(error)}`] };
      }
      return convergence.problems.length === 0 ? convergence : undefined;
    }, CONVERGE_TIMEOUT_S * 1000, 2000);
    const convergeS = (performance.now() - convergeStarted) / 1000;
    const final = convergence ?? { registries: 0, policies: 0, problems: ['never checked'] };
    if (converged) log(`converged ${convergeS.toFixed(1)} s after the churn stopped: ${final.registries} Registries, ${final.policies} RetentionPolicies`);
    else log(`NOT converged after ${CONVERGE_TIMEOUT_S} s: ${final.problems.slice(0, 10).join('; ')}`);
    await sleep(5000);
    const end = await sample(operator, cluster);
    const mid = middle ?? end;
    const own = await operator.requestCounts();
    log(`end: ${describe(end)}; operator made ${own.total} API requests (${own.writes} writes)`);
    const alive = operator.alive && operator.pid === pid;
    // Evidence that the apiserver called the webhook for the operator's Deployments (since its last restart).
    const apiserverMetrics = await cluster.admin.request<string>('GET', '/metrics', undefined, { accept: 'text/plain' }).catch(() => '');
    const webhookCalls = sumSamples(apiserverMetrics, 'apiserver_admission_webhook_request_total');
    log(`the apiserver called the webhook ${webhookCalls} times since its last restart`);

    const rssRatio = Number((end.rssMb / mid.rssMb).toFixed(3));
    const verdict = checkTargets({
      operatorAlive: { value: alive ? 1 : 0, equals: 1 },
      problems: { value: final.problems.length, max: TARGETS.problemsMax },
      rssEndOverMiddle: { value: rssRatio, max: TARGETS.rssEndOverMiddleMax },
      // Start and end are both quiet (no admission load, 5 s after the last change): a socket or
      // file leaked per request, per object or per apiserver restart shows as growth.
      fdGrowth: { value: end.fds - start.fds, max: TARGETS.fdGrowthMax },
      admissionErrors: { value: admission.errors, max: TARGETS.admissionErrorsMax },
      // At most two timers per object alive at the end beyond the start: a timer leaked per
      // object ever deleted (hundreds over the run) cannot hide under that.
      timersBeyondLiveObjects: { value: end.timers - start.timers - 2 * Math.max(0, end.liveObjects), max: 0 },
    });
    exitCode = printResult(
      'soak',
      {
        quick,
        seed: SEED,
        durationS: DURATION_S,
        apiserverRestartsMs: restarts,
        churn: { ...churn.tally.actions, failedRequests: churn.tally.failed },
        admission: { rate: ADMISSION_RATE, requests: admission.requests, errors: admission.errors, p50Ms: admission.p50Ms, p99Ms: admission.p99Ms, maxMs: admission.maxMs },
        convergence: { seconds: converged ? Number(convergeS.toFixed(1)) : null, registries: final.registries, policies: final.policies, problems: final.problems.slice(0, 10) },
        rssMb: { start: start.rssMb, middle: mid.rssMb, end: end.rssMb, peak: Math.round((await readProcessMemory(pid)).peakRssMb), endOverMiddle: rssRatio },
        fds: { start: start.fds, middle: mid.fds, end: end.fds, socketsStart: start.sockets, socketsMiddle: mid.sockets, socketsEnd: end.sockets },
        timers: { start: start.timers, middle: mid.timers, end: end.timers },
        liveObjects: { start: start.liveObjects, middle: mid.liveObjects, end: end.liveObjects },
        activeHandles: { start: start.handles, middle: mid.handles, end: end.handles },
        operatorApiRequests: own,
        apiserverWebhookCallsSinceLastRestart: webhookCalls,
      },
      verdict,
    );
    return exitCode;
  } finally {
    await operator?.stop();
    await cluster.stop();
    // The operator's log stays for a post-mortem when something was missed.
    if (exitCode === 0) await rm(workDir, { recursive: true, force: true });
    else process.stderr.write(`operator log kept in ${workDir}\n`);
  }
}

runBench(main);
