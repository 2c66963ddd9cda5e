/**
 * In-use protection at scale (issue 17): reading what 10,000 Pods (and their Deployments and
 * ReplicaSets) run, as collectImagesInUse does it (pages of 500 JSON objects, images kept, the
 * rest dropped), against a baseline in the same run that only parses the same pages. Then the
 * planner on 12,000 tags with and without 10,000 references in use. Figures: time ratios, the
 * heap the in-use data keeps, peak RSS. `npx tsx bench/in-use.bench.ts [--quick]`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { collectImagesInUse } from '../src/retention/in-use-collector.js';
import { usageForRegistry } from '../src/retention/in-use.js';
import { planRetention } from '../src/retention/planner.js';
import { retentionPolicySpecSchema } from '../src/api/retention-policy.js';
import type { RegistrySnapshot } from '../src/retention/snapshot.js';
import { checkTargets, elapsedMs, log, printResult, runBench } from './lib/bench-output.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const quick = process.argv.includes('--quick');
const PODS = quick ? 2_000 : 10_000;
const PAGE = 500;
const HOST = 'main.registries.svc:5000';
const TAGS = 12_000;
const REPOSITORIES = 120;
const TARGETS = { collectOverParse: 1.5, retainedMiB: 16, planWithOverWithout: 2, planWithPullsOverWithout: 2 };

/** A Pod as the apiserver sends it: labels, env (which can hold secrets), managedFields, status. */
function pod(i: number): unknown {
  const repo = `team${i % 40}/svc${i % REPOSITORIES}`;
  return {
    metadata: {
      name: `svc-${i}`, namespace: `ns${i % 200}`, uid: `uid-${i}`, labels: { app: `svc${i % REPOSITORIES}`, 'pod-template-hash': 'abc123' },
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': {} } } }],
    },
    spec: {
      containers: [
        { name: 'app', image: `${HOST}/${repo}:v${i % 100}`, env: Array.from({ length: 10 }, (_, e) => ({ name: `VAR_${e}`, value: `value-${i}-${e}-${'x'.repeat(20)}` })), resources: { limits: { cpu: '1', memory: '1Gi' } } },
        { name: 'sidecar', image: 'docker.io/envoyproxy/envoy:v1.30.1' },
      ],
      initContainers: [{ name: 'init', image: `${HOST}/tools/init:v1` }],
    },
    status: { phase: 'Running', containerStatuses: [{ name: 'app', imageID: `${HOST}/${repo}@sha256:${(i % 5000).toString(16).padStart(64, '0')}` }] },
  };
}

/** The pages the apiserver would answer, as JSON text (parsed per request, like the client does). */
function pages(): Map<string, string> {
  const result = new Map<string, string>();
  for (let first = 0, n = 0; first < PODS; first += PAGE, n++) {
    const items = Array.from({ length: Math.min(PAGE, PODS - first) }, (_, k) => pod(first + k));
    const next = first + PAGE < PODS ? `p${n + 1}` : undefined;
    result.set(n === 0 ? '/api/v1/pods?limit=500' : `/api/v1/pods?limit=500&continue=p${n}`, JSON.stringify({ metadata: next ? { continue: next } : {}, items }));
  }
  return result;
}

function snapshot(): RegistrySnapshot {
  const perRepository = TAGS / REPOSITORIES;
  return {
    registry: 'bench',
    repositories: Array.from({ length: REPOSITORIES }, (_, r) => {
      const tags: Record<string, string> = {};
      const manifests: RegistrySnapshot['repositories'][number]['manifests'] = {};
      for (let t = 0; t < perRepository; t++) {
        const digest = `sha256:${(r * perRepository + t).toString(16).padStart(64, '0')}`;
        tags[`v${t}`] = digest;
        manifests[digest] = { mediaType: 'application/vnd.oci.image.manifest.v1+json', created: new Date(Date.UTC(2026, 0, 1) + t * 3_600_000).toISOString() };
      }
      return { name: `team${r % 40}/svc${r}`, tags, manifests };
    }),
  };
}

async function main(): Promise<number> {
  const served = pages();
  const kube = { requestJson: async (_method: string, path: string) => JSON.parse(served.get(path) ?? '{"items":[]}') as unknown };
  const parseOnly = async (): Promise<void> => {
    for (const text of served.values()) JSON.parse(text);
  };
  // Warm up both, then best of 3 each (the machines are noisy).
  await parseOnly();
  await collectImagesInUse(kube as never, []);
  const best = async (work: () => Promise<unknown>): Promise<number> => {
    let fastest = Infinity;
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      await work();
      fastest = Math.min(fastest, elapsedMs(start));
    }
    return fastest;
  };
  const parseMs = await best(parseOnly);
  const collectMs = await best(() => collectImagesInUse(kube as never, []));

  gc();
  const before = process.memoryUsage().heapUsed;
  const collection = await collectImagesInUse(kube as never, []);
  const usage = usageForRegistry(collection.images, [HOST]);
  gc();
  const retainedMiB = (process.memoryUsage().heapUsed - before) / 2 ** 20;
  log(`${PODS} Pods (${served.size} pages): collect ${collectMs.toFixed(0)} ms, parse-only baseline ${parseMs.toFixed(0)} ms (ratio ${(collectMs / parseMs).toFixed(2)}); ${collection.images.length} references kept, ${usage.size} repositories of the registry in use, ${retainedMiB.toFixed(1)} MiB retained`);

  const spec = retentionPolicySpecSchema.parse({ registryRef: { name: 'main' }, keep: [{ mostRecent: 10 }] });
  const state = snapshot();
  const now = new Date('2026-12-01T00:00:00Z');
  const withoutMs = await best(async () => planRetention(spec, state, { now, policyName: 'bench' }));
  const withMs = await best(async () => planRetention(spec, state, { now, policyName: 'bench', inUse: usage, policyNamespace: 'ns0' }));
  const kept = planRetention(spec, state, { now, policyName: 'bench', inUse: usage, policyNamespace: 'ns0' }).summary;
  log(`plan of ${TAGS} tags: ${withoutMs.toFixed(0)} ms without in-use data, ${withMs.toFixed(0)} ms with (ratio ${(withMs / withoutMs).toFixed(2)}); ${kept.keptInUse} tags kept only because they run`);

  // Usage data in full: what runs, and pull records for every tagged digest (pulled within the
  // last 60 days, tracked for 90), planned with pull rules, against the same policy without data.
  const pullSpec = retentionPolicySpecSchema.parse({ registryRef: { name: 'main' }, keep: [{ mostRecent: 10 }, { tags: ['*'], pulledWithin: '30d', mostRecentlyPulled: 5 }] });
  const byRepository = new Map<string, Map<string, number>>();
  let n = 0;
  for (const repository of state.repositories) {
    byRepository.set(repository.name, new Map(Object.values(repository.tags).map((digest) => [digest, now.getTime() - ((n++ * 7919) % 60) * 86_400_000])));
  }
  const pulls = { coveredSinceMs: now.getTime() - 90 * 86_400_000, byRepository };
  const noDataMs = await best(async () => planRetention(pullSpec, state, { now, policyName: 'bench' }));
  const allDataMs = await best(async () => planRetention(pullSpec, state, { now, policyName: 'bench', inUse: usage, policyNamespace: 'ns0', pulls }));
  const pullPlan = planRetention(pullSpec, state, { now, policyName: 'bench', inUse: usage, policyNamespace: 'ns0', pulls }).summary;
  log(`plan of ${TAGS} tags with pull rules: ${noDataMs.toFixed(0)} ms without usage data, ${allDataMs.toFixed(0)} ms with in-use data and pull records (ratio ${(allDataMs / noDataMs).toFixed(2)}); ${pullPlan.deleteDigests} digests to delete`);
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;

  const verdict = checkTargets({
    collectOverParse: { value: Number((collectMs / parseMs).toFixed(2)), max: TARGETS.collectOverParse },
    retainedMiB: { value: Number(retainedMiB.toFixed(1)), max: TARGETS.retainedMiB },
    planWithOverWithout: { value: Number((withMs / withoutMs).toFixed(2)), max: TARGETS.planWithOverWithout },
    planWithPullsOverWithout: { value: Number((allDataMs / noDataMs).toFixed(2)), max: TARGETS.planWithPullsOverWithout },
  });
  return printResult('in-use', { pods: PODS, collectMs: Math.round(collectMs), parseMs: Math.round(parseMs), references: collection.images.length, planWithoutMs: Math.round(withoutMs), planWithMs: Math.round(withMs), keptInUse: kept.keptInUse, planPullRulesWithoutDataMs: Math.round(noDataMs), planPullRulesWithDataMs: Math.round(allDataMs), peakRssMiB: Math.round(peakRssMiB) }, verdict);
}

runBench(main);
