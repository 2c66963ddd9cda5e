/**
 * Reconcile at scale (issue 9 item 3): the real kube-apiserver and `dockmaster operator` in a
 * child process running as a user of its own under deploy/rbac.yaml's ClusterRole. N Registries
 * are created at once; the bench times until every one has its children and an up-to-date status
 * (bench/lib/registry-convergence.ts), counts the operator's API requests at the apiserver
 * (APF FlowSchemas matching that user: bench/lib/apiserver-user-requests.ts) and beside them the
 * operator's own count, reads its peak RSS from /proc, then watches an idle minute for writes.
 * `npx tsx bench/reconcile-scale.bench.ts [--quick]` (50 Registries, 10 s idle); the last line is JSON.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { forEachConcurrently } from './lib/admin-client.js';
import { startBenchCluster, type BenchCluster } from './lib/bench-cluster.js';
import { checkTargets, elapsedMs, log, printResult, runBench, seconds, sleep } from './lib/bench-output.js';
import { bundleOperator, OperatorChild } from './lib/operator-child.js';
import { readProcessMemory } from './lib/process-stats.js';
import { reconciledRegistries, REGISTRY_API, snapshotNamespace } from './lib/registry-convergence.js';
import { shippedNodeFlags } from './lib/shipped-node-options.js';

const quick = process.argv.includes('--quick');
/** `--registries=N` and `--idle-seconds=S` override the sizes, for profiling runs (the targets stay). */
const numberArg = (name: string): number | undefined => {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.slice(name.length + 3)) : undefined;
};
/**
 * The operator runs with deploy/'s NODE_OPTIONS; `--node-flags=a,b` replaces them (`--node-flags=`
 * for node's defaults).
 */
const NODE_FLAGS_ARG = process.argv.find((a) => a.startsWith('--node-flags='))?.slice('--node-flags='.length);
const NODE_FLAGS = NODE_FLAGS_ARG === undefined ? shippedNodeFlags() : NODE_FLAGS_ARG.split(',').filter(Boolean);
const REGISTRIES = numberArg('registries') ?? (quick ? 50 : 500);
const IDLE_S = numberArg('idle-seconds') ?? (quick ? 10 : 60);
/** Requests that trail the last convergence (a second status write, Events) are counted too. */
const SETTLE_S = 5;
const RECONCILE_TIMEOUT_S = 300;
const CREATE_CONCURRENCY = 50;
const NAMESPACE = 'scale';
// rssAtStartupMb / rssEndMb: issue 21's idle targets, 80 MB with no Registry and 120 MB with 500.
const TARGETS = { reconcileSecondsMax: 60, requestsPerRegistryMax: 10, peakRssMbMax: 200, idleWritesMax: 0, rssAtStartupMb: 80, rssEndMb: 120 };

function registry(index: number) {
  return {
    apiVersion: 'dockmaster.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name: `r${String(index).padStart(4, '0')}`, namespace: NAMESPACE },
    spec: { storage: { emptyDir: {} } },
  };
}

/** Polls once a second until every Registry is reconciled; returns the seconds it took (undefined: timed out). */
async function waitForConvergence(cluster: BenchCluster, started: number): Promise<number | undefined> {
  let lastReport = 0;
  while (elapsedMs(started) < RECONCILE_TIMEOUT_S * 1000) {
    const snapshot = await snapshotNamespace(cluster.admin, NAMESPACE);
    const done = reconciledRegistries(snapshot).size;
    if (done === REGISTRIES) return elapsedMs(started) / 1000;
    if (elapsedMs(started) - lastReport > 5000) {
      lastReport = elapsedMs(started);
      log(`  ${seconds(lastReport)}: ${done}/${REGISTRIES} reconciled, ${snapshot.deployments.size} Deployments`);
    }
    await sleep(1000);
  }
  return undefined;
}

async function main(): Promise<number> {
  log(`Reconcile-scale bench${quick ? ' (--quick)' : ''}: ${REGISTRIES} Registries at once, then ${IDLE_S} s idle${NODE_FLAGS.length > 0 ? `; operator node flags ${NODE_FLAGS.join(' ')}` : ''}`);
  const workDir = await mkdtemp(path.join(tmpdir(), 'dm-bench-scale-'));
  await bundleOperator();
  const cluster = await startBenchCluster({ namespaces: [NAMESPACE] });
  let operator: OperatorChild | undefined;
  let exitCode = 1;
  try {
    operator = await OperatorChild.start({ kubeconfig: cluster.operatorKubeconfig, workDir, nodeFlags: NODE_FLAGS });
    await sleep(2000);
    const startup = await cluster.operatorRequests.read();
    const startupMemory = await readProcessMemory(operator.pid);
    log(`operator ready (pid ${operator.pid}): ${startup.total} API requests at start-up, RSS ${startupMemory.rssMb.toFixed(0)} MB`);

    const before = await cluster.operatorRequests.read();
    const ownBefore = await operator.requestCounts();
    const byKindBefore = await operator.requestsByVerbAndResource();
    const started = performance.now();
    const items = Array.from({ length: REGISTRIES }, (_, i) => i);
    await forEachConcurrently(items, CREATE_CONCURRENCY, async (i) => {
      await cluster.admin.request('POST', `${REGISTRY_API}/namespaces/${NAMESPACE}/registries`, registry(i));
    });
    const createdS = elapsedMs(started) / 1000;
    log(`created ${REGISTRIES} Registries in ${createdS.toFixed(1)} s`);
    const reconcileS = await waitForConvergence(cluster, started);
    if (reconcileS === undefined) log(`NOT all reconciled within ${RECONCILE_TIMEOUT_S} s`);
    else log(`all ${REGISTRIES} reconciled ${reconcileS.toFixed(1)} s after the first create`);
    await sleep(SETTLE_S * 1000);
    const after = await cluster.operatorRequests.read();
    const ownAfter = await operator.requestCounts();
    const burst = { total: after.total - before.total, writes: after.writes - before.writes, reads: after.reads - before.reads };
    const ownBurst = ownAfter.total - ownBefore.total;
    const byKindAfter = await operator.requestsByVerbAndResource();
    const perRegistryByKind = Object.fromEntries(
      Object.entries(byKindAfter)
        .map(([key, count]) => [key, Number(((count - (byKindBefore[key] ?? 0)) / REGISTRIES).toFixed(2))] as const)
        .filter(([, perOne]) => perOne > 0),
    );
    const perRegistry = burst.total / REGISTRIES;
    log(`API requests for the burst (apiserver, by user): ${burst.total} (${burst.writes} writes, ${burst.reads} reads) = ${perRegistry.toFixed(2)} per Registry; operator's own count ${ownBurst}`);
    log(`  per Registry, by verb and resource: ${JSON.stringify(perRegistryByKind)}`);
    const memoryAfterBurst = await readProcessMemory(operator.pid);
    const heapAfterBurst = await operator.heapBreakdown();
    log(`operator after the burst: RSS ${memoryAfterBurst.rssMb.toFixed(0)} MB (peak ${memoryAfterBurst.peakRssMb.toFixed(0)}), V8 heap ${heapAfterBurst.heapUsedMb} MB used of ${heapAfterBurst.heapTotalMb} MB, external ${heapAfterBurst.externalMb} MB`);

    log(`idle for ${IDLE_S} s …`);
    const idleBefore = await cluster.operatorRequests.read();
    await sleep(IDLE_S * 1000);
    const idleAfter = await cluster.operatorRequests.read();
    const idle = { writes: idleAfter.writes - idleBefore.writes, reads: idleAfter.reads - idleBefore.reads };
    const memory = await readProcessMemory(operator.pid);
    const heapEnd = await operator.heapBreakdown();
    log(`idle: ${idle.writes} writes, ${idle.reads} reads; operator RSS ${memory.rssMb.toFixed(0)} MB, peak ${memory.peakRssMb.toFixed(0)} MB`);
    const alive = operator.alive;

    const verdict = checkTargets({
      reconcileSeconds: { value: reconcileS ?? Number.POSITIVE_INFINITY, max: TARGETS.reconcileSecondsMax },
      requestsPerRegistry: { value: Number(perRegistry.toFixed(2)), max: TARGETS.requestsPerRegistryMax },
      peakRssMb: { value: Math.round(memory.peakRssMb), max: TARGETS.peakRssMbMax },
      rssAtStartupMb: { value: Math.round(startupMemory.rssMb), max: TARGETS.rssAtStartupMb },
      rssEndMb: { value: Math.round(memory.rssMb), max: TARGETS.rssEndMb },
      idleWrites: { value: idle.writes, max: TARGETS.idleWritesMax },
      operatorAlive: { value: alive ? 1 : 0, equals: 1 },
    });
    exitCode = printResult(
      'reconcile-scale',
      {
        quick,
        registries: REGISTRIES,
        ...(NODE_FLAGS_ARG !== undefined ? { experiment: { nodeFlags: NODE_FLAGS } } : {}),
        createSeconds: Number(createdS.toFixed(1)),
        reconcileSeconds: reconcileS === undefined ? null : Number(reconcileS.toFixed(1)),
        apiRequests: { ...burst, perRegistry: Number(perRegistry.toFixed(2)), operatorOwnCount: ownBurst, atStartup: startup.total, perRegistryByVerbAndResource: perRegistryByKind },
        rssMb: { startup: Math.round(startupMemory.rssMb), afterBurst: Math.round(memoryAfterBurst.rssMb), end: Math.round(memory.rssMb), peak: Math.round(memory.peakRssMb), anonymousAtEnd: Math.round(memory.anonMb) },
        heapMb: { afterBurst: heapAfterBurst, end: heapEnd },
        idle: { seconds: IDLE_S, ...idle },
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
