import { AsyncLocalStorage } from 'node:async_hooks';
import { type DestinationStream, type Logger, pino } from 'pino';

/** Ids that tie a log line to the request, command or session it belongs to. */
export interface LogContext {
  readonly requestId?: string;
  readonly correlationId?: string;
  readonly sessionId?: string;
}

const context = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `ctx` merged into the ids stamped on every log line it writes. */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  return context.run({ ...context.getStore(), ...ctx }, fn);
}

export function currentLogContext(): LogContext {
  return context.getStore() ?? {};
}

/**
 * Paths that could hold a credential anywhere in a logged object. Redaction is a second
 * line of defence: code must not log secrets in the first place.
 */
const REDACT = [
  'apiKey',
  '*.apiKey',
  'credential',
  '*.credential',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'token',
];

export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      mixin: () => ({ ...context.getStore() }),
    },
    destination,
  );
}

export type { Logger };
