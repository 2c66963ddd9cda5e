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

export interface RootLoggerOptions {
  level?: string;
  /** Pretty output for people; defaults to true on a TTY, JSON otherwise. */
  pretty?: boolean;
}

/** Builds the one root logger of the process; everything else uses `logger.child({...})`. */
export function createRootLogger(options: RootLoggerOptions = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const base: LoggerOptions = {
    level: options.level ?? process.env.DOCKMASTER_LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    base: { app: 'dockmaster' },
  };
  if (pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } },
    });
  }
  return pino(base, pino.destination(2));
}

/** A logger that drops everything: for tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
