/**
 * The pull receiver in a process of its own for bench/pull-receiver.bench.ts, so that its CPU
 * time is its own: registerPullReceiver and PullRecordStore as run-operator.ts wires them, over a
 * Kubernetes API kept in memory (the token Secret, the records ConfigMap), flushing every second
 * like a short flushIntervalSeconds. Beside it, on the same Fastify server, a bare route that
 * parses the same JSON and answers 202: the baseline. Prints its port; on stdin "report" it
 * flushes and prints one JSON line with its CPU time per route and what the records hold.
 */
import Fastify from 'fastify';
import { createInterface } from 'node:readline';
import { silentLogger } from '../../src/logging/logger.js';
import { registerPullReceiver } from '../../src/pull-tracking/receiver.js';
import { PullRecordStore } from '../../src/pull-tracking/store.js';
import type { KubeClients } from '../../src/runtime/kube-client.js';

export const BENCH_TOKEN = 'bench-token';

let records: { metadata: { name: string; resourceVersion: string }; data: Record<string, string> } | undefined;
let writes = 0;
const kube = {
  core: {
    readNamespacedSecret: async () => ({ data: { 'notifications-token': Buffer.from(BENCH_TOKEN).toString('base64') } }),
    readNamespacedConfigMap: async () => {
      if (!records) throw Object.assign(new Error('not found'), { code: 404 });
      return records;
    },
    replaceNamespacedConfigMap: async ({ body }: { body: { data: Record<string, string> } }) => {
      writes += 1;
      records = { metadata: { name: 'main-registry-pulls', resourceVersion: String(writes) }, data: body.data };
    },
    createNamespacedConfigMap: async ({ body }: { body: { data: Record<string, string> } }) => {
      writes += 1;
      records = { metadata: { name: 'main-registry-pulls', resourceVersion: String(writes) }, data: body.data };
    },
  },
  requestJson: async () => ({ metadata: { uid: 'bench-uid' } }),
} as unknown as KubeClients;

const store = new PullRecordStore(kube, { maxRecordsPerRegistry: 100_000, log: silentLogger() });
const app = Fastify();
await registerPullReceiver(app, { kube, store, log: silentLogger() });
await app.register(async (scope) => {
  scope.addContentTypeParser('application/vnd.docker.distribution.events.v1+json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  scope.post('/bare', async (_request, reply) => reply.code(202).send({ ok: true }));
});
const flusher = setInterval(() => void store.flush(), 1000);
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as { port: number }).port })}\n`);

let mark = process.cpuUsage();
createInterface({ input: process.stdin }).on('line', (line) => {
  void (async () => {
    if (line === 'mark') {
      mark = process.cpuUsage();
      process.stdout.write('{"marked":true}\n');
      return;
    }
    if (line !== 'report') return;
    const cpu = process.cpuUsage(mark);
    await store.flush();
    const doc = JSON.parse(records?.data['pulls.json'] ?? '{"pulls":{}}') as { pulls: Record<string, Record<string, string>> };
    const recorded = Object.values(doc.pulls).reduce((n, digests) => n + Object.keys(digests).length, 0);
    process.stdout.write(`${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, recorded, writes, rssMb: process.memoryUsage().rss / 1048576 })}\n`);
  })();
});
process.once('SIGTERM', () => {
  clearInterval(flusher);
  void app.close().then(() => process.exit(0));
});
