import type { Logger as Pino } from 'pino';
import { pinoHttp } from 'pino-http';
import type { RequestHandler } from 'express';

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
