/**
 * What an unreachable pull receiver costs a registry (issue 17): distribution queues its
 * notification events in memory and retries them for ever. Each version runs twice under the same
 * pull load (HEADs of one manifest, which distribution reports as pulls): with the endpoint the
 * operator configures (notificationEndpointsYaml, the shipped settings) pointed at a closed port
 * (a loopback port found free, then closed),
 * and without notifications, the baseline. The RSS growth beyond the baseline, per 10,000
 * pulls, is the queue's cost; docs/retention.md turns it into a bound.
 */
import { Pool } from 'undici';
import { parse } from 'yaml';
import { notificationEndpointsYaml } from '../src/managed-registry/notifications.js';
import { pushImage } from '../test/harness/fixtures.js';
import { startRegistry, type RunningRegistry } from '../test/harness/registry.js';
import type { RegistryLine } from '../test/servers/binaries.js';
import { checkTargets, log, printResult, runBench, sleep } from './lib/bench-output.js';
import { freeLoopbackPort } from './lib/operator-child.js';
import { readProcessMemory } from './lib/process-stats.js';

const quick = process.argv.includes('--quick');
const PULLS = quick ? 10_000 : 40_000;
const CONCURRENCY = 16;
const VERSIONS: RegistryLine[] = ['2.8.2', '3.1.2'];

async function pullLoad(registry: RunningRegistry, reference: string, count: number): Promise<number> {
  const pool = new Pool(registry.url, { connections: CONCURRENCY });
  let ok = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const response = await pool.request({ path: `/v2/app/web/manifests/${reference}`, method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json', 'user-agent': 'containerd/2.0.0' } });
      await response.body.dump();
      if (response.statusCode === 200) ok += 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await pool.close();
  return ok;
}

async function measure(version: RegistryLine, receiverDown: boolean): Promise<{ startMb: number; endMb: number; pulls: number }> {
  const endpoints = receiverDown ? (parse(notificationEndpointsYaml(`http://127.0.0.1:${await freeLoopbackPort()}`, 'team', 'main', 'token')) as unknown[]) : undefined;
  const registry = await startRegistry({ version, ...(endpoints && { extraConfig: { notifications: { endpoints } } }) });
  try {
    const { digest } = await pushImage(registry, 'app/web', { tags: ['v1'], seed: 'queue' });
    await sleep(2000);
    const start = await readProcessMemory(registry.pid ?? 0);
    const pulls = await pullLoad(registry, digest, PULLS);
    await sleep(3000);
    const end = await readProcessMemory(registry.pid ?? 0);
    log(`${version} ${receiverDown ? 'receiver down ' : 'no notifications'}: ${pulls} pulls, RSS ${start.rssMb.toFixed(0)} → ${end.rssMb.toFixed(0)} MB`);
    return { startMb: start.rssMb, endMb: end.rssMb, pulls };
  } finally {
    await registry.stop();
  }
}

async function main(): Promise<number> {
  log(`Notification queue with the receiver down: ${PULLS} pulls per run${quick ? ' (--quick)' : ''}`);
  const figures: Record<string, { baselineGrowthMb: number; downGrowthMb: number; queueMbPer10kPulls: number }> = {};
  for (const version of VERSIONS) {
    const baseline = await measure(version, false);
    const down = await measure(version, true);
    const queue = down.endMb - down.startMb - (baseline.endMb - baseline.startMb);
    figures[version] = {
      baselineGrowthMb: Number((baseline.endMb - baseline.startMb).toFixed(1)),
      downGrowthMb: Number((down.endMb - down.startMb).toFixed(1)),
      queueMbPer10kPulls: Number(((queue * 10_000) / PULLS).toFixed(2)),
    };
    log(`${version}: the queue holds ≈ ${figures[version].queueMbPer10kPulls} MB per 10,000 pulls`);
  }
  // A measurement, not a target: it passes when every run answered its pulls.
  const verdict = checkTargets({ measured: { value: Object.keys(figures).length, equals: VERSIONS.length } });
  return printResult('notification-queue', { quick, pullsPerRun: PULLS, versions: figures }, verdict);
}

runBench(main);
