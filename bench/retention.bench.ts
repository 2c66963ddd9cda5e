/**
 * Retention benchmark (issue 3 / issue 9 item 1): a real docker-registry with R repositories × T
 * tags (shared digests, multi-arch indexes, signatures). Measures `plan` and `apply` through
 * runRetention — wall time, HTTP requests (onRequest), peak RSS — beside a raw-undici baseline
 * issuing the same minimal request set at the same concurrency; then 10× the tags per repository
 * for the growth ratio. `npx tsx bench/retention.bench.ts [--quick]`; last line is JSON.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRegistry, type RunningRegistry } from '../test/harness/registry.js';
import { populateRegistry, type PopulationSize } from './lib/registry-population.js';
import { baselineApply, baselinePlan } from './lib/retention-baseline.js';
import type { ChildResult } from './lib/retention-child.js';
import { shippedNodeFlags } from './lib/shipped-node-options.js';

const quick = process.argv.includes('--quick');
const BASE: PopulationSize = quick ? { repositories: 10, tagsPerRepository: 50 } : { repositories: 100, tagsPerRepository: 100 };
const SCALED: PopulationSize = quick ? { repositories: 4, tagsPerRepository: 500 } : { repositories: 5, tagsPerRepository: 1000 };
const CONCURRENCY = 8;
const TARGETS = { timeRatioMax: 1.3, peakRssMbMax: 150, perTagGrowthMax: 1.5 };

type OurRun = ChildResult;

const CHILD_BUNDLE = path.resolve('node_modules/.cache/dockmaster-bench/retention-child.mjs');
/** The engine runs inside the operator in production: measured under the operator's shipped node flags. */
const NODE_FLAGS = shippedNodeFlags();

/** Bundles the child once (esbuild, which tsx already brings): plain node runs it without a loader in its RSS. */
async function bundleChild(): Promise<void> {
  const esbuild = await import('esbuild');
  await esbuild.build({ entryPoints: ['bench/lib/retention-child.ts'], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: CHILD_BUNDLE, logLevel: 'warning' });
}

/** One runRetention in a child process: its own wall time (startup excluded), request count and peak RSS. */
function ours(url: string, dryRun: boolean, nodeFlags: readonly string[] = NODE_FLAGS): Promise<OurRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...nodeFlags, CHILD_BUNDLE, url, dryRun ? 'plan' : 'apply', String(CONCURRENCY)], { maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`retention child failed: ${stderr || error.message}`));
      const result = JSON.parse(stdout) as ChildResult;
      if (result.outcome !== (dryRun ? 'DryRun' : 'Succeeded')) return reject(new Error(`unexpected outcome ${result.outcome}: ${result.error ?? ''}`));
      resolve(result);
    });
  });
}

/** A populated storage folder and a pristine copy, so that every apply starts from the same state on a fresh process. */
class StorageFixture {
  registry: RunningRegistry | undefined;
  private constructor(
    private readonly dir: string,
    readonly tags: number,
  ) {}

  static async create(size: PopulationSize): Promise<StorageFixture> {
    const dir = await mkdtemp(path.join(tmpdir(), 'dm-bench-retention-'));
    const registry = await startRegistry({ storageDir: path.join(dir, 'pristine') });
    const figures = await populateRegistry(registry.url, size);
    log(`populated ${size.repositories} repositories × ${size.tagsPerRepository} tags: ${figures.tags} tags, ${figures.manifests} manifests, ${figures.requests} requests in ${(figures.durationMs / 1000).toFixed(1)} s`);
    await registry.stop();
    return new StorageFixture(dir, figures.tags);
  }

  /** A registry process on a fresh copy of the populated storage. */
  async fresh(): Promise<RunningRegistry> {
    await this.registry?.stop();
    const work = path.join(this.dir, 'work');
    await rm(work, { recursive: true, force: true });
    execFileSync('cp', ['-a', path.join(this.dir, 'pristine'), work]);
    this.registry = await startRegistry({ storageDir: work });
    return this.registry;
  }

  async dispose(): Promise<void> {
    await this.registry?.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function measureBase(fixture: StorageFixture) {
  // Plan: same registry process, alternating, best of two rounds each (the first round warms the registry's caches).
  const registry = await fixture.fresh();
  let plan: OurRun | undefined;
  let basePlan: { requests: number; durationMs: number } | undefined;
  for (let round = 0; round < 2; round++) {
    const b = await baselinePlan(registry.url, CONCURRENCY);
    const o = await ours(registry.url, true);
    basePlan = !basePlan || b.durationMs < basePlan.durationMs ? b : basePlan;
    plan = !plan || o.durationMs < plan.durationMs ? o : plan;
  }
  // Once more with node's default flags, for the record: V8 then lets garbage pile up (see docs/benchmarks.md).
  const defaultFlagsPlan = await ours(registry.url, true, []);
  const deletes = new Map(Object.entries(plan!.deletes));
  // Apply: each on a fresh process over a fresh copy of the same storage; interleaved, best of two
  // each (the machine is shared: one slow round must not decide).
  let apply: OurRun | undefined;
  let baseApply: { requests: number; durationMs: number } | undefined;
  for (let round = 0; round < 2; round++) {
    const o = await ours((await fixture.fresh()).url, false);
    const b = await baselineApply((await fixture.fresh()).url, CONCURRENCY, deletes);
    // Fastest round for time; the worst peak RSS of all rounds.
    const peak = Math.max(o.maxRssMb, apply?.maxRssMb ?? 0);
    apply = { ...(!apply || o.durationMs < apply.durationMs ? o : apply), maxRssMb: peak };
    baseApply = !baseApply || b.durationMs < baseApply.durationMs ? b : baseApply;
  }
  return { plan: plan!, basePlan: basePlan!, apply: apply!, baseApply: baseApply!, defaultFlagsPlanRssMb: defaultFlagsPlan.maxRssMb };
}

async function main(): Promise<number> {
  await bundleChild();
  log(`Retention bench${quick ? ' (--quick)' : ''}: concurrency ${CONCURRENCY}, policy keeps the 10 most recent v* tags, node flags as shipped: ${NODE_FLAGS.join(' ') || '(none)'}`);
  const base = await StorageFixture.create(BASE);
  let measured;
  try {
    measured = await measureBase(base);
  } finally {
    await base.dispose();
  }
  const { plan, basePlan, apply, baseApply, defaultFlagsPlanRssMb } = measured;
  log(`plan: ${BASE.repositories} repositories, ${plan.tags} tags, ${plan.deleteDigests} digests to delete`);
  log(`plan  (ours)     ${seconds(plan.durationMs)}  ${plan.requests} requests  peak RSS ${plan.maxRssMb.toFixed(0)} MB`);
  log(`plan  (baseline) ${seconds(basePlan.durationMs)}  ${basePlan.requests} requests`);
  log(`plan  (ours, node's default flags) peak RSS ${defaultFlagsPlanRssMb.toFixed(0)} MB`);
  log(`apply (ours)     ${seconds(apply.durationMs)}  ${apply.requests} requests  peak RSS ${apply.maxRssMb.toFixed(0)} MB  deleted ${apply.deleted}`);
  log(`apply (baseline) ${seconds(baseApply.durationMs)}  ${baseApply.requests} requests`);

  const scaled = await StorageFixture.create(SCALED);
  let scaledMeasured;
  try {
    scaledMeasured = await measureBase(scaled);
  } finally {
    await scaled.dispose();
  }
  const { plan: scaledPlan, apply: scaledApply, basePlan: scaledBasePlan, baseApply: scaledBaseApply } = scaledMeasured;
  const perTag = (durationMs: number, tags: number): number => durationMs / tags;
  const planGrowth = perTag(scaledPlan.durationMs, scaledPlan.tags) / perTag(plan.durationMs, plan.tags);
  const applyGrowth = perTag(scaledApply.durationMs, scaledApply.tags) / perTag(apply.durationMs, apply.tags);
  const baseApplyGrowth = perTag(scaledBaseApply.durationMs, scaledApply.tags) / perTag(baseApply.durationMs, apply.tags);
  log(`10× tags per repository (${SCALED.repositories} × ${SCALED.tagsPerRepository}, ${scaledPlan.tags} tags):`);
  log(`plan  (ours)     ${seconds(scaledPlan.durationMs)}  ${scaledPlan.requests} requests  peak RSS ${scaledPlan.maxRssMb.toFixed(0)} MB  time/tag ×${planGrowth.toFixed(2)} vs base size`);
  log(`plan  (baseline) ${seconds(scaledBasePlan.durationMs)}  ${scaledBasePlan.requests} requests`);
  log(`apply (ours)     ${seconds(scaledApply.durationMs)}  ${scaledApply.requests} requests  peak RSS ${scaledApply.maxRssMb.toFixed(0)} MB  time/tag ×${applyGrowth.toFixed(2)} vs base size`);
  log(`apply (baseline) ${seconds(scaledBaseApply.durationMs)}  ${scaledBaseApply.requests} requests  time/tag ×${baseApplyGrowth.toFixed(2)} vs base size`);

  const figures = {
    bench: 'retention',
    quick,
    concurrency: CONCURRENCY,
    size: { ...BASE, tags: plan.tags, deleteDigests: plan.deleteDigests },
    plan: { ms: Math.round(plan.durationMs), requests: plan.requests, baselineMs: Math.round(basePlan.durationMs), baselineRequests: basePlan.requests, timeRatio: plan.durationMs / basePlan.durationMs },
    apply: { ms: Math.round(apply.durationMs), requests: apply.requests, baselineMs: Math.round(baseApply.durationMs), baselineRequests: baseApply.requests, timeRatio: apply.durationMs / baseApply.durationMs },
    peakRssMb: Math.round(Math.max(plan.maxRssMb, apply.maxRssMb)),
    nodeFlags: NODE_FLAGS,
    planPeakRssMbDefaultFlags: Math.round(defaultFlagsPlanRssMb),
    scaled: {
      ...SCALED,
      tags: scaledPlan.tags,
      planMs: Math.round(scaledPlan.durationMs),
      planRequests: scaledPlan.requests,
      planBaselineMs: Math.round(scaledBasePlan.durationMs),
      planBaselineRequests: scaledBasePlan.requests,
      applyMs: Math.round(scaledApply.durationMs),
      applyRequests: scaledApply.requests,
      applyBaselineMs: Math.round(scaledBaseApply.durationMs),
      applyBaselineRequests: scaledBaseApply.requests,
      peakRssMb: Math.round(Math.max(scaledPlan.maxRssMb, scaledApply.maxRssMb)),
      planPerTagGrowth: planGrowth,
      applyPerTagGrowth: applyGrowth,
      baselineApplyPerTagGrowth: baseApplyGrowth,
      planTimeRatio: scaledPlan.durationMs / scaledBasePlan.durationMs,
      applyTimeRatio: scaledApply.durationMs / scaledBaseApply.durationMs,
    },
  };
  // Growth: our time per tag at 10× tags per repository. distribution's DELETE scans every tag of
  // the repository (to untag the digest), so apply is superlinear in the registry itself; the
  // baseline's growth is reported beside ours, and our apply must stay within 1.3× of it at scale.
  const scaledPlanRatio = scaledPlan.durationMs / scaledBasePlan.durationMs;
  const scaledApplyRatio = scaledApply.durationMs / scaledBaseApply.durationMs;
  const pass =
    figures.plan.timeRatio <= TARGETS.timeRatioMax &&
    figures.apply.timeRatio <= TARGETS.timeRatioMax &&
    scaledPlanRatio <= TARGETS.timeRatioMax &&
    scaledApplyRatio <= TARGETS.timeRatioMax &&
    plan.requests === basePlan.requests &&
    apply.requests === baseApply.requests &&
    scaledPlan.requests === scaledBasePlan.requests &&
    scaledApply.requests === scaledBaseApply.requests &&
    figures.peakRssMb < TARGETS.peakRssMbMax &&
    planGrowth <= TARGETS.perTagGrowthMax &&
    (applyGrowth <= TARGETS.perTagGrowthMax || applyGrowth <= baseApplyGrowth * TARGETS.timeRatioMax);
  log(JSON.stringify({ ...figures, targets: { ...TARGETS, requestsEqualBaseline: true }, pass }));
  return pass ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
