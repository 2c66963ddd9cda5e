/**
 * The pull receiver at 1,000 events/s (issue 17): one event per envelope, as distribution sends
 * them, each a pull of a different digest, for 20 s (`--quick`: 5 s), with the records flushed
 * every second. Measured in the receiver's own process (bench/lib/pull-receiver-child.ts): its
 * CPU time against a bare Fastify route parsing the same bodies at the same rate in the same
 * process, and whether every pull sent is in the records at the end (none lost while it runs).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { checkTargets, log, printResult, runBench, sleep } from './lib/bench-output.js';

const quick = process.argv.includes('--quick');
const RATE = 1000;
const DURATION_S = quick ? 5 : 20;
const TARGETS = { lost: 0, cpuOverBare: 3, receiverCores: 0.5 };

const digest = (i: number): string => `sha256:${i.toString(16).padStart(64, '0')}`;
const envelope = (i: number): string =>
  JSON.stringify({
    events: [
      {
        id: `e-${i}`,
        action: 'pull',
        timestamp: new Date().toISOString(),
        target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', repository: `app/r${i % 50}`, digest: digest(i), size: 1234 },
        request: { id: `r-${i}`, addr: '10.0.0.9:4711', host: 'main-registry:5000', method: 'GET', useragent: 'containerd/2.0.0' },
        actor: {},
        source: { addr: 'main-registry-0:5000', instanceID: 'bench-instance' },
      },
    ],
  });

/** Sends `count` envelopes at RATE per second, open loop; returns how many were answered 202. */
async function send(pool: Pool, path: string, count: number, offset: number, headers: Record<string, string>): Promise<{ accepted: number; maxLagMs: number }> {
  let accepted = 0;
  let maxLagMs = 0;
  const pending: Array<Promise<void>> = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    maxLagMs = Math.max(maxLagMs, performance.now() - due);
    pending.push(
      pool.request({ path, method: 'POST', headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', ...headers }, body: envelope(offset + i) }).then(async (response) => {
        await response.body.dump();
        if (response.statusCode === 202) accepted += 1;
      }, () => undefined),
    );
  }
  await Promise.all(pending);
  return { accepted, maxLagMs };
}

async function main(): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/pull-receiver-child.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => JSON.parse(((await lines.next()).value as string | undefined) ?? 'null') as T;
  try {
    const { port } = await next<{ port: number }>();
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 8 });
    const count = RATE * DURATION_S;
    const phase = async (label: string, path: string, offset: number, headers: Record<string, string>) => {
      child.stdin!.write('mark\n');
      await next();
      const sent = await send(pool, path, count, offset, headers);
      child.stdin!.write('report\n');
      const report = await next<{ cpuMs: number; recorded: number; writes: number; rssMb: number }>();
      const cores = report.cpuMs / (DURATION_S * 1000);
      log(`${label.padEnd(28)} ${count} envelopes in ${DURATION_S} s: ${sent.accepted} answered 202, CPU ${report.cpuMs.toFixed(0)} ms (${(cores * 100).toFixed(1)}% of a core), RSS ${report.rssMb.toFixed(0)} MB, generator lag ≤ ${sent.maxLagMs.toFixed(0)} ms`);
      return { ...report, ...sent, cores };
    };
    log(`Pull receiver at ${RATE} events/s for ${DURATION_S} s${quick ? ' (--quick)' : ''}`);
    const bare = await phase('bare route (baseline)', '/bare', 0, {});
    const receiver = await phase('pull receiver', '/pulls/team/main', 0, { authorization: 'Bearer bench-token' });
    log(`records: ${receiver.recorded} of ${count} pulls, ${receiver.writes} ConfigMap writes`);
    await pool.close();
    const verdict = checkTargets({
      lost: { value: count - receiver.recorded, equals: TARGETS.lost },
      cpuOverBare: { value: Number((receiver.cpuMs / bare.cpuMs).toFixed(2)), max: TARGETS.cpuOverBare },
      receiverCores: { value: Number(receiver.cores.toFixed(3)), max: TARGETS.receiverCores },
    });
    return printResult(
      'pull-receiver',
      {
        quick,
        ratePerSecond: RATE,
        durationSeconds: DURATION_S,
        bare: { cpuMs: Math.round(bare.cpuMs), accepted: bare.accepted },
        receiver: { cpuMs: Math.round(receiver.cpuMs), accepted: receiver.accepted, recorded: receiver.recorded, writes: receiver.writes, rssMb: Math.round(receiver.rssMb) },
      },
      verdict,
    );
  } finally {
    child.kill('SIGTERM');
  }
}

runBench(main);
