import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-countersign-signature';
export const TIMESTAMP_HEADER = 'x-countersign-timestamp';

/** `v1=` + hex HMAC-SHA256 of `v1:{timestamp}:{raw body}`, as Slack signs its requests. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`v1:${timestamp}:${body}`).digest('hex')}`;
}

/**
 * What a receiver does (docs/providers.md): recompute, compare in constant time, and refuse a
 * timestamp more than `toleranceSeconds` from now so a captured request cannot be replayed later.
 */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp?: string; signature?: string },
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): boolean {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(webhookSignature(secret, timestamp, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
