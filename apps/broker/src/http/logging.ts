import type { LoggerService } from '@nestjs/common';
import type { Logger as Pino } from 'pino';
import { pino } from 'pino';
import { pinoHttp } from 'pino-http';
import type { RequestHandler } from 'express';

// Credentials never reach a log line: bearer tokens, cookies, and the bodies that carry tokens.
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'];

export function createPino(level: string): Pino {
  return pino({ level, redact: REDACT });
}

/** Nest's framework logs through the same pino instance as the access log. */
export class PinoLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  log(message: unknown, context?: string): void {
    this.pino.info({ context }, String(message));
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

interface SerializedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  remoteAddress?: string;
}

/**
 * One access line names the request, not its headers: serializing and redacting every header
 * was most of the line's cost. The sign-in callback's query carries an authorization code: it
 * never reaches the log.
 */
function requestLine({ id, method, url, remoteAddress }: SerializedRequest) {
  const path = url?.startsWith('/auth/callback') ? '/auth/callback' : url;
  return { id, method, url: path, remoteAddress };
}

function statusLine({ statusCode }: { statusCode?: number }) {
  return { statusCode };
}

/** The access log; at a level that would drop its lines, no per-request work at all. */
export function accessLog(logger: Pino): RequestHandler {
  if (!logger.isLevelEnabled('error')) {
    return (_req, _res, next) => next();
  }
  return pinoHttp({
    logger,
    quietReqLogger: true,
    serializers: { req: requestLine, res: statusLine },
  });
}
