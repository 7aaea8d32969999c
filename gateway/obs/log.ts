/**
 * Structured JSON logs (pino). One logger per process; modules take a child with their own `component`.
 * Secrets never reach a log line: settings are redacted before logging and the paths below are masked
 * wherever they appear.
 */
import pino, { type Logger } from 'pino';

export type { Logger };
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Field paths masked in every log line, whatever logs them. */
const REDACT = [
  'webhookSecret',
  '*.webhookSecret',
  'security.webhookSecret',
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
];

/** Creates the process logger writing JSON lines to stdout (or to `destination`, for tests). */
export function createLogger(level: LogLevel = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'mcp-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '***' },
    },
    destination ?? pino.destination({ sync: false }),
  );
}

/** The `(level, msg, fields)` callback the transports and tools take. */
export interface LogCallback {
  (level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  /** Whether lines of `level` are written: hot paths skip building fields nobody reads. */
  readonly enabled?: (level: LogLevel) => boolean;
}

/** Adapts a pino logger to the `(level, msg, fields)` callback the transports and tools take. */
export function logFn(logger: Logger): LogCallback {
  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (fields) logger[level](fields, msg);
    else logger[level](msg);
  };
  return Object.assign(log, { enabled: (level: LogLevel) => logger.isLevelEnabled(level) });
}
