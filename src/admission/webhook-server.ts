import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyServerFactoryHandler, type RawServerDefault, type FastifyReply, type FastifyRequest } from 'fastify';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { ADMISSION_REVIEW_API_VERSION, AdmissionReviewError, answerAdmissionReview, parseAdmissionReview, type AdmissionReviewResponse } from './admission-review.js';
import { judgeResourceWrite } from './resource-validation.js';
import type { CertificateSource, ServingCertificate } from './certificate-source.js';
import type { AdmissionPolicy } from './policy.js';
import { VALIDATE_PATH, VALIDATE_RESOURCES_PATH } from './webhook-configuration.js';

export interface WebhookServerDeps {
  /** The current policy, read per request (an AdmissionPolicyHolder). */
  policy: { current(): AdmissionPolicy };
  /** HTTPS with this certificate, swapped in on every change; plain HTTP when absent (tests, benches). */
  certificateSource?: CertificateSource;
  logger?: Logger;
  /** Largest body accepted (bytes); larger ones get 413. */
  bodyLimitBytes?: number;
  /** Extra readiness condition (e.g. the Registry informer has synced). */
  isReady?: () => boolean;
  /** Called once per answered review (metrics); must be cheap, it runs on the request path. */
  onReviewed?: (review: ReviewedObject) => void;
  /** Called with the serving certificate (PEM) at start and on every swap (the expiry metric). */
  onCertificate?: (certPem: string) => void;
  /** Labels of a namespace (from the webhook's Namespace cache); an AdmissionReview carries none. */
  namespaceLabels?: (namespace: string) => Readonly<Record<string, string>>;
  /** Reviews judged at once; more are answered 429 before their body is read. Default 32. */
  maxConcurrentReviews?: number;
  /** Declared body bytes (Content-Length) of the reviews in flight; past it, 429 before reading. Default 2 × the body limit. */
  maxBytesInFlight?: number;
  /** The longest a client may take to send a whole request (slow clients are cut off). Default 15 s. */
  requestTimeoutMs?: number;
}

export interface ReviewedObject {
  kind: string;
  verdict: string;
  violations: number;
  /** How long judging took, parsed body to answer. */
  seconds?: number;
}

export type WebhookServer = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>;

/**
 * The apiserver refuses objects over 3 MiB (its MaxRequestBodyBytes), and an AdmissionReview of
 * an UPDATE carries the object and the old object: 2 × 3 MiB plus the review's own fields.
 */
const DEFAULT_BODY_LIMIT = 7 * 1024 * 1024;
/**
 * Work in flight is bounded twice, before a body is read: by count (typical reviews are a few KiB)
 * and by declared bytes (a maximal review of 7 MiB costs about 30 MB while it is parsed), so a
 * flood of maximal reviews holds at most two at once and stays inside deploy/'s webhook memory
 * limit (docs/security.md has the flood figures). The apiserver does not retry a 429: under
 * failurePolicy Fail that review is denied, which is the safe side of an overload.
 */
const DEFAULT_MAX_CONCURRENT_REVIEWS = 32;
const BODY_LIMITS_IN_FLIGHT = 2;
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

// The response schema lets fastify serialize with fast-json-stringify instead of JSON.stringify.
const admissionReviewResponseSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'response'],
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    response: {
      type: 'object',
      required: ['uid', 'allowed'],
      properties: {
        uid: { type: 'string' },
        allowed: { type: 'boolean' },
        status: {
          type: 'object',
          properties: { code: { type: 'integer' }, reason: { type: 'string' }, message: { type: 'string' } },
        },
        warnings: { type: 'array', items: { type: 'string' } },
        auditAnnotations: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
  },
} as const;

const errorResponseSchema = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, code: { type: 'string' }, error: { type: 'string' }, message: { type: 'string' } },
} as const;

/**
 * Builds the admission webhook server: `POST /validate`, `GET /healthz`, `GET /readyz`.
 * Nothing is module-level; each call makes an independent server (tests use `inject()`).
 */
export function buildWebhookServer(deps: WebhookServerDeps): WebhookServer {
  const log = deps.logger ?? silentLogger();
  const source = deps.certificateSource;
  const options = {
    loggerInstance: log,
    // One log line per decision (below) instead of two per request: the route is hot.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
    return503OnClosing: true,
    // Fastify's requestTimeout is 0 (none) by default: a client trickling its body would hold a
    // slot for ever. The apiserver sends a whole review at once and gives up after timeoutSeconds.
    requestTimeout: deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    connectionTimeout: deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
  let httpsServer: HttpsServer | undefined;
  const app: WebhookServer = Fastify({
    ...options,
    ...(source && {
      // Our own https.Server, so the certificate can be swapped on it. Fastify drives it like an
      // http.Server (same request/response API); its types only know the default server.
      serverFactory: (handler: FastifyServerFactoryHandler) => {
        httpsServer = createHttpsServer({ cert: source.current().cert, key: source.current().key }, handler);
        return httpsServer as unknown as HttpServer;
      },
    }),
  });

  // No child logger per request (fastify's default binds reqId): it costs on the hot route, and
  // the decision line carries the AdmissionReview uid, which names the request better.
  app.setChildLoggerFactory((logger) => logger);

  if (source) {
    deps.onCertificate?.(source.current().cert);
    const unsubscribe = source.subscribe((certificate) => {
      if (httpsServer) swapCertificate(httpsServer, certificate, log);
      deps.onCertificate?.(certificate.cert);
    });
    app.addHook('onClose', async () => unsubscribe());
  }

  // Bounded concurrency, decided before the body is read, so a flood of large reviews cannot
  // hold more than maxConcurrentReviews bodies in memory.
  const maxConcurrent = deps.maxConcurrentReviews ?? DEFAULT_MAX_CONCURRENT_REVIEWS;
  const maxBytes = deps.maxBytesInFlight ?? BODY_LIMITS_IN_FLIGHT * options.bodyLimit;
  let inFlight = 0;
  let bytesInFlight = 0;
  // Both AdmissionReview routes share the budget: a flood through either would otherwise hold bodies unbounded.
  const reviewPaths = new Set([VALIDATE_PATH, VALIDATE_RESOURCES_PATH]);
  app.addHook('onRequest', async (request, reply) => {
    if (!reviewPaths.has(request.url.split('?')[0] ?? '')) return;
    // A body without Content-Length (chunked) counts as large as the limit allows.
    const declared = Math.min(Number(request.headers['content-length'] ?? options.bodyLimit) || options.bodyLimit, options.bodyLimit);
    if (inFlight >= maxConcurrent || (inFlight > 0 && bytesInFlight + declared > maxBytes)) {
      log.warn({ inFlight, bytesInFlight }, 'Refused a review: too much in flight');
      // Drained unparsed (no memory held), so the client reads a 429 rather than a broken pipe.
      if (!request.raw.readableEnded) {
        await new Promise<void>((resolve) => {
          request.raw.once('end', resolve).once('error', () => resolve()).once('close', resolve).resume();
        });
      }
      return reply.code(429).header('retry-after', '1').send({ statusCode: 429, code: 'DM_ERR_TOO_MANY_REVIEWS', error: 'Too Many Requests', message: `more than ${maxConcurrent} reviews or ${maxBytes} bytes in flight` });
    }
    inFlight++;
    bytesInFlight += declared;
    let released = false;
    const release = (): void => {
      if (!released) {
        inFlight--;
        bytesInFlight -= declared;
      }
      released = true;
    };
    reply.raw.once('close', release);
    reply.raw.once('finish', release);
  });

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const { status, code, message } = describeRequestError(error, options.bodyLimit);
    if (status >= 500) log.error({ err: error, url: request.url }, 'Failed to answer a request');
    else log.warn({ code, url: request.url, reason: message }, 'Rejected a bad request');
    return reply.code(status).send({ statusCode: status, code, error: status >= 500 ? 'Internal Server Error' : 'Bad Request', message });
  });

  // Both routes take an AdmissionReview and answer one, with the same error shapes.
  const reviewRoute = {
    schema: {
      body: { type: 'object' },
      response: { 200: admissionReviewResponseSchema, '4xx': errorResponseSchema, '5xx': errorResponseSchema },
    },
  } as const;

  app.post(
    VALIDATE_PATH,
    reviewRoute,
    async (request) => {
      const started = performance.now();
      const { request: admission, decision, review } = answerAdmissionReview(deps.policy.current(), request.body, deps.namespaceLabels);
      const fields = {
        uid: admission.uid,
        operation: admission.operation,
        kind: decision.subject.kind,
        namespace: decision.subject.namespace,
        name: decision.subject.name,
        verdict: decision.verdict,
      };
      deps.onReviewed?.({ kind: fields.kind, verdict: fields.verdict, violations: decision.violations.length, seconds: (performance.now() - started) / 1000 });
      if (decision.violations.length > 0) log.info({ ...fields, violations: decision.violations.length }, 'Judged images not allowed');
      else log.debug(fields, 'Admitted object');
      return review;
    },
  );

  // Apply-time validation of Registries and RetentionPolicies (resource-validation.ts).
  app.post(
    VALIDATE_RESOURCES_PATH,
    reviewRoute,
    async (request) => {
      const admission = parseAdmissionReview(request.body);
      const verdict = judgeResourceWrite(admission);
      const response: AdmissionReviewResponse['response'] = { uid: admission.uid, allowed: verdict.allowed };
      if (!verdict.allowed) response.status = { code: 422, reason: 'Invalid', message: verdict.message ?? '' };
      if (verdict.warnings.length > 0) response.warnings = verdict.warnings;
      if (!verdict.allowed) log.info({ uid: admission.uid, kind: admission.kind.kind, namespace: admission.namespace, name: admission.name, reason: verdict.message }, 'Refused an invalid resource');
      return { apiVersion: ADMISSION_REVIEW_API_VERSION, kind: 'AdmissionReview', response } satisfies AdmissionReviewResponse;
    },
  );

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = deps.isReady?.() ?? true;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready' });
  });
  return app;
}

/** Installs a new certificate on the running HTTPS server; open connections keep the old one. */
function swapCertificate(server: HttpsServer, certificate: ServingCertificate, log: Logger): void {
  try {
    server.setSecureContext({ cert: certificate.cert, key: certificate.key });
    log.info({}, 'Loaded a new serving certificate');
  } catch (error) {
    // Keep serving the previous certificate: a bad pair must not take admission down.
    log.error({ err: error }, 'Failed to load a new serving certificate; keeping the previous one');
  }
}

/** Status and message for an error raised while handling a request. */
function describeRequestError(error: FastifyError, bodyLimit: number): { status: number; code: string; message: string } {
  // Our own errors answer with the catalogue's HTTP status (errors.ts).
  if (error instanceof AdmissionReviewError) return { status: error.httpStatus, code: error.code, message: error.message };
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return cataloguedError('DM_ERR_BODY_TOO_LARGE', `the request body is larger than the limit of ${bodyLimit} bytes`);
  }
  if (error.validation) return cataloguedError('DM_ERR_INVALID_ADMISSION_REVIEW', `the body is not an AdmissionReview: ${error.message}`);
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, code: error.code ?? 'DM_ERR_BAD_REQUEST', message: error.message };
  return cataloguedError('DM_ERR_INTERNAL', 'internal error while judging the request');
}

function cataloguedError(code: ErrorCode, message: string): { status: number; code: string; message: string } {
  return { status: ERROR_CATALOGUE[code].httpStatus, code, message };
}
