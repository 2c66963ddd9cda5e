/**
 * The pull receiver: `POST /pulls/<namespace>/<name>`, where a managed registry sends its
 * notifications. Each Registry authenticates with its own token (its http Secret's
 * notifications-token): one registry cannot write another's records. The body is bounded and
 * checked; a bad token is 401, a malformed envelope 400, and neither records anything.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logging/logger.js';
import { registryChildNames } from '../managed-registry/children.js';
import { secretValue } from '../managed-registry/credentials.js';
import { NOTIFICATIONS_TOKEN_KEY, PULL_RECEIVER_ROUTE } from '../managed-registry/notifications.js';
import { getOrUndefined, type KubeClients } from '../runtime/kube-client.js';
import { objectPath, RESOURCES } from '../runtime/resources.js';
import { envelopeSchema, pullsOf } from './events.js';
import type { PullTrackingMetrics } from './metrics.js';
import type { PullRecordStore } from './store.js';

const EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';
/** distribution sends a few events per request; 1 MiB is far above that. */
const BODY_LIMIT_BYTES = 1024 * 1024;
/** How long a Registry's token is trusted without reading its Secret again (a rotation rolls the pods anyway). */
const TOKEN_CACHE_MS = 30_000;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface PullReceiverDeps {
  kube: KubeClients;
  store: PullRecordStore;
  log: Logger;
  now?: () => number;
  metrics?: PullTrackingMetrics;
  /**
   * Whether the Registry exists (the operator's informer cache). Anyone who reaches the port can
   * post to any path: without this check every made-up name would cost a Secret read from the
   * apiserver and an entry in the token cache.
   */
  registryExists?: (namespace: string, name: string) => boolean;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

export async function registerPullReceiver(app: FastifyInstance, deps: PullReceiverDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  const tokens = new Map<string, { token: string | undefined; readAtMs: number }>();
  const tokenOf = async (namespace: string, name: string): Promise<string | undefined> => {
    const key = `${namespace}/${name}`;
    const cached = tokens.get(key);
    if (cached && now() - cached.readAtMs < TOKEN_CACHE_MS) return cached.token;
    const secret = await getOrUndefined(() => deps.kube.requestJson<V1Secret>('GET', objectPath(RESOURCES.secret, namespace, registryChildNames(name).httpSecret)));
    const token = secret ? secretValue(secret, NOTIFICATIONS_TOKEN_KEY) : undefined;
    tokens.set(key, { token, readAtMs: now() });
    return token;
  };

  await app.register(async (scope) => {
    // Every answer counts, the body parser's refusals (400, 413) included.
    scope.addHook('onResponse', async (_request, reply) => {
      deps.metrics?.envelopes.inc({ code: String(reply.statusCode) });
    });
    scope.addContentTypeParser([EVENTS_MEDIA_TYPE, 'application/json'], { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(Object.assign(new Error('the body is not JSON'), { statusCode: 400 }), undefined);
      }
    });
    scope.post<{ Params: { namespace: string; name: string } }>(PULL_RECEIVER_ROUTE, { bodyLimit: BODY_LIMIT_BYTES }, async (request, reply) => {
      const { namespace, name } = request.params;
      if (!NAME.test(namespace) || !NAME.test(name) || deps.registryExists?.(namespace, name) === false) {
        tokens.delete(`${namespace}/${name}`);
        return reply.code(404).send({ error: 'no such Registry' });
      }
      const presented = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      const expected = presented ? await tokenOf(namespace, name) : undefined;
      // Hashes compared in constant time: neither the token nor its length leaks.
      if (!presented || !expected || !timingSafeEqual(sha256(presented), sha256(expected))) {
        return reply.code(401).send({ error: `missing or wrong bearer token for Registry ${namespace}/${name}` });
      }
      const parsed = envelopeSchema.safeParse(request.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return reply.code(400).send({ error: `not a distribution notification envelope: ${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}` });
      }
      const batch = pullsOf(parsed.data);
      deps.store.add(namespace, name, batch);
      deps.metrics?.events.inc({ kind: 'pull' }, batch.pulls.length);
      deps.metrics?.events.inc({ kind: 'canary' }, batch.canaries.length);
      deps.metrics?.events.inc({ kind: 'ignored' }, batch.ignored - batch.canaries.length);
      return reply.code(202).send({ recorded: batch.pulls.length, ignored: batch.ignored });
    });
  });
}
