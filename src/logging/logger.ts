import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Paths pino replaces with "[Redacted]": credentials must never reach a log line. */
export const REDACTED_PATHS = [
  'password',
  'token',
  'authorization',
  'auth',
  '*.password',
  '*.token',
  '*.authorization',
  '*.auth',
  'headers.authorization',
  'req.headers.authorization',
];

/**
 * Keys whose values are credentials wherever they sit in a logged object, at any depth: pino's
 * `redact` paths (fast-redact) match fixed depths only, and a credential can hide in
 * `err.cause.headers.authorization` or `auths["registry"].auth` of a logged Docker config.
 */
const SECRET_KEYS = new Set(['password', 'token', 'authorization', 'auth', 'secret', 'secretkey', 'accesskey', 'access_token', 'refresh_token', 'identitytoken', 'registrytoken', '.dockerconfigjson', 'cookie', 'set-cookie', 'x-registry-auth']);
const REDACTED = '[Redacted]';
/** Deeper than any object we log; past it, values are dropped rather than walked for ever. */
const MAX_REDACT_DEPTH = 12;

/** A copy of `value` with every credential-named key's value replaced, at any depth (cycles and depth bounded). */
export function redactCredentials(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_REDACT_DEPTH) return '[Truncated]';
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  // This runs before pino's serializers: an Error is serialized here (message, stack, own fields, cause chain) so its fields are walked too.
  if (value instanceof Error) return redactCredentials(pino.stdSerializers.errWithCause(value), depth + 1, seen);
  if (Array.isArray(value)) return value.map((item) => redactCredentials(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : redactCredentials(item, depth + 1, seen);
  }
  return out;
}

export interface RootLoggerOptions {
  level?: string;
  /** Where JSON lines go (tests); stderr by default. */
  destination?: NodeJS.WritableStream;
}

/** Builds the one root logger of the process, JSON lines; everything else uses `logger.child({...})`. */
export function createRootLogger(options: RootLoggerOptions = {}): Logger {
  return pino(rootLoggerOptions(options), options.destination ?? pino.destination(2));
}

/**
 * The root logger of a long-running command (operator, webhook): pretty for a person at a
 * terminal, JSON lines otherwise. pino-pretty is loaded only for the terminal: a container never
 * pays for it. In-process, not a pino transport: a transport resolves its target by module name in
 * a worker thread, which a bundle cannot serve, and a terminal reader does not need a log thread.
 */
export async function createCommandLogger(options: Omit<RootLoggerOptions, 'destination'> & { pretty?: boolean } = {}): Promise<Logger> {
  if (!(options.pretty ?? Boolean(process.stderr.isTTY))) return createRootLogger(options);
  const { default: pinoPretty } = await import('pino-pretty');
  return pino(rootLoggerOptions(options), pinoPretty({ destination: 2, colorize: true, sync: true }));
}

function rootLoggerOptions(options: RootLoggerOptions): LoggerOptions {
  return {
    level: options.level ?? process.env.DOCKMASTER_LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: REDACTED },
    formatters: { log: (object) => redactCredentials(object) as Record<string, unknown> },
    base: { app: 'dockmaster' },
  };
}

/** A logger that drops everything: for tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
