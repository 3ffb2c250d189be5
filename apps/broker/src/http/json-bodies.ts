import type { NextFunction, Request, Response } from 'express';

const UNSUPPORTED_MEDIA_TYPE = {
  error: 'unsupported_media_type',
  message: 'the body must be JSON, sent with Content-Type: application/json',
} as const;

/**
 * The API reads only JSON bodies. Without this, a body sent as text/plain or a form is never
 * parsed, and the route answers as if nothing had been sent (`role: is required`), which sends a
 * person looking in the wrong place: so a body of another type is refused here, in words, with
 * 415. A request without a body (a bare POST …/cancel) passes, and so does the one path that reads
 * another type (Slack's form).
 */
export function jsonBodiesOnly(
  exceptPath: string,
): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const path = routePath(`${req.baseUrl}${req.path}`);
    if (path === routePath(exceptPath) || !hasBody(req) || req.is('application/json')) {
      next();
      return;
    }
    res.status(415).json(UNSUPPORTED_MEDIA_TYPE);
  };
}

/**
 * A path as the router matches it (case-insensitive, a trailing slash optional), so the exception
 * covers every spelling that reaches the excepted route.
 */
function routePath(path: string): string {
  return path.replace(/\/+$/, '').toLowerCase();
}

/** A body is on its way when it is chunked or has a length; `Content-Length: 0` is none. */
function hasBody(req: Request): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0
  );
}
