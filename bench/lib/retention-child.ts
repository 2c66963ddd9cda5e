/**
 * One retention run in its own process, so that its peak RSS is the engine's and not the bench
 * harness's (tsx alone holds ~120 MB). The bench bundles this file with esbuild and runs it with
 * plain node: `node child.mjs <url> <plan|apply> <concurrency> [bounded]`; it prints one JSON line.
 * `bounded` runs as the operator does (a bounded report: counts, the first deletions only).
 */
import { retentionPolicySpecSchema } from '../../src/api/retention-policy.js';
import { RegistryV2Client } from '../../src/registry/client/index.js';
import { runRetention } from '../../src/retention/run-retention.js';

export interface ChildResult {
  outcome: string;
  error?: string;
  durationMs: number;
  requests: number;
  maxRssMb: number;
  tags: number;
  deleteDigests: number;
  deleted: number;
  /** repository → digests the plan deletes (for the baseline's apply). */
  deletes: Record<string, string[]>;
}

/** The benchmark policy: keep the 10 most recent v* tags (and `latest`); every other tag goes. */
const BENCH_POLICY_SPEC = { registryRef: { name: 'bench' }, protectedTags: ['latest'], keep: [{ tags: ['v*'], mostRecent: 10 }] };

async function main(): Promise<void> {
  const [url, mode, concurrency, reportMode] = process.argv.slice(2);
  if (!url || (mode !== 'plan' && mode !== 'apply')) throw new Error('usage: child <url> <plan|apply> <concurrency>');
  let requests = 0;
  // An explicit user agent: the bundled file is not where dockmasterVersion() looks for package.json.
  const client = new RegistryV2Client({ url, allowPlainHttp: true, concurrency: Number(concurrency ?? 8), userAgent: 'dockmaster-bench', onRequest: () => requests++ });
  const started = performance.now();
  const report = await runRetention({ client, registry: url, policyName: 'bench/retention', spec: retentionPolicySpecSchema.parse(BENCH_POLICY_SPEC), dryRun: mode === 'plan', boundedReport: reportMode === 'bounded' });
  const durationMs = performance.now() - started;
  await client.close();
  const result: ChildResult = {
    outcome: report.outcome,
    ...(report.error !== undefined ? { error: report.error } : {}),
    durationMs,
    requests,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    tags: report.plan.summary.tags,
    deleteDigests: report.plan.summary.deleteDigests,
    deleted: report.deleted.length,
    deletes: Object.fromEntries(report.plan.repositories.filter((r) => r.delete.length > 0).map((r) => [r.name, r.delete.map((d) => d.digest)])),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
