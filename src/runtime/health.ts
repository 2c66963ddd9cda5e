import Fastify, { type FastifyInstance } from 'fastify';
import type { RuntimeMetrics } from './metrics.js';

export interface HealthServerDeps {
  metrics: RuntimeMetrics;
  /** Ready once informer caches synced. A non-leader replica is ready too: it is a warm standby. */
  isReady(): boolean;
  /** Alive unless something is wedged for good; defaults to always true. */
  isAlive?(): boolean;
}

/**
 * `/healthz`, `/readyz` and `/metrics` on a small Fastify instance built per call (no singleton),
 * so tests build their own and use `inject()`. The caller listens on the port it chooses.
 */
export function buildHealthServer(deps: HealthServerDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  const textReply = { 200: { type: 'string' }, 503: { type: 'string' } } as const;

  app.get('/healthz', { schema: { response: textReply } }, async (_request, reply) => {
    const alive = deps.isAlive?.() ?? true;
    return reply.code(alive ? 200 : 503).type('text/plain').send(alive ? 'ok' : 'not alive');
  });

  app.get('/readyz', { schema: { response: textReply } }, async (_request, reply) => {
    const ready = deps.isReady();
    return reply.code(ready ? 200 : 503).type('text/plain').send(ready ? 'ok' : 'caches not synced');
  });

  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await deps.metrics.render();
    return reply.type(contentType).send(body);
  });

  return app;
}
