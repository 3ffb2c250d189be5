import { createHmac, timingSafeEqual } from 'node:crypto';

const PURPOSE = 'countersign web form v1';

/**
 * The form token of a session: an HMAC keyed by the session's secret id, which only the browser
 * holding the (HttpOnly) cookie and the server know. Nothing to store; a new session, a new token.
 */
export function csrfToken(sessionId: string): string {
  return createHmac('sha256', sessionId).update(PURPOSE).digest('base64url');
}

export function csrfMatches(secret: string, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(csrfToken(secret));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** For the demo sign-in form, whose secret is the pending login's random state. */
export function secretMatches(expected: string, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
