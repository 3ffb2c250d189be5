/**
 * Tells a lost database connection from every other failure, so that an outage is answered
 * `503 unavailable` (retry later) while a bug stays a logged `500`. Only failures to reach or keep
 * a connection count: a constraint violation, a syntax error or a cancelled statement are not an
 * outage, and retrying them would not help.
 */

/** How long a client is asked to wait before retrying, in seconds. */
export const RETRY_AFTER_SECONDS = 5;

/** Socket errors (node:net, node:dns) of a server that is down, restarting or unreachable. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that dropped or refused the session: admin shutdown, crash shutdown,
 * cannot connect now (starting up or shutting down), too many connections. Class 08 (connection
 * exception) is matched as a class.
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * node-postgres and pg-pool raise these without a code: a socket closed under a query or a
 * handshake, a pool that could not hand out a connection within `connectionTimeoutMillis`, a
 * client reused after its connection failed.
 */
const MESSAGE_PREFIXES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

/** Wrappers nest the driver's error (TypeORM's `driverError`, `cause`, AggregateError): a few levels suffice. */
const MAX_DEPTH = 4;

function codeOf(error: object): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function isConnectionFailure(error: object): boolean {
  const code = codeOf(error);
  if (code !== undefined) {
    if (SOCKET_CODES.has(code) || SQLSTATES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && MESSAGE_PREFIXES.some((p) => message.startsWith(p));
}

function nested(error: object): unknown[] {
  const { driverError, cause, errors } = error as {
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  return [driverError, cause, ...(Array.isArray(errors) ? (errors as unknown[]) : [])];
}

/** True when the error, or one it wraps, says the database could not be reached or was lost. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return false;
  if (isConnectionFailure(error)) return true;
  return nested(error).some((inner) => isDatabaseUnavailable(inner, depth + 1));
}
