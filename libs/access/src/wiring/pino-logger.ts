import type { LoggerService } from '@nestjs/common';
import type { Logger as Pino } from 'pino';
import { pino } from 'pino';
import type { LogLevel } from '#config';

// Credentials never reach a log line: bearer tokens, cookies, and the bodies that carry tokens.
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'];

/** One JSON logger per process, broker and worker alike. */
export function createPino(level: LogLevel): Pino {
  return pino({ level, redact: REDACT });
}

/**
 * Nest's start-up chatter (a line per module, controller and route: ~100 at every start) is
 * debug, so the default log is what happened: one line per request, and what the app says itself.
 */
const START_UP_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/** Nest's framework logs through the same pino instance as the access log. */
export class PinoLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  log(message: unknown, context?: string): void {
    if (context !== undefined && START_UP_CONTEXTS.has(context))
      this.pino.debug({ context }, String(message));
    else this.pino.info({ context }, String(message));
  }

  error(message: unknown, traceOrContext?: string, context?: string): void {
    const err = message instanceof Error ? message : undefined;
    this.pino.error(
      { context: context ?? traceOrContext, err },
      err ? err.message : String(message),
    );
  }

  warn(message: unknown, context?: string): void {
    this.pino.warn({ context }, String(message));
  }

  debug(message: unknown, context?: string): void {
    this.pino.debug({ context }, String(message));
  }

  verbose(message: unknown, context?: string): void {
    this.pino.trace({ context }, String(message));
  }
}
