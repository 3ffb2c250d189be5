import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '#domain';

/** Slack refuses requests older than this, and so do we (replays beyond it are refused). */
export const SLACK_MAX_SKEW_SECONDS = 5 * 60;

export interface SignedBody {
  raw: unknown;
  timestamp?: string;
  signature?: string;
}

/**
 * Verifies a Slack v0 request signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`
 * with the signing secret, compared in constant time, the timestamp within 5 minutes of `now`.
 * Returns the raw body as text; anything else is `401 unauthenticated`, saying no more.
 */
export function verifySlackSignature(signed: SignedBody, secret: string, now: Date): string {
  const refuse = () => new DomainError('unauthenticated', 'invalid Slack request signature');
  if (!Buffer.isBuffer(signed.raw)) throw refuse();
  const timestamp = signed.timestamp ?? '';
  if (!/^\d{1,12}$/.test(timestamp)) throw refuse();
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SLACK_MAX_SKEW_SECONDS) throw refuse();
  const hmac = createHmac('sha256', secret).update(`v0:${timestamp}:`).update(signed.raw);
  const expected = Buffer.from(`v0=${hmac.digest('hex')}`);
  const given = Buffer.from(signed.signature ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refuse();
  return signed.raw.toString('utf8');
}
