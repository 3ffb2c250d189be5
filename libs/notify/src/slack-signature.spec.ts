import { createHmac } from 'node:crypto';
import type { DomainError } from '#domain';
import { verifySlackSignature } from './slack-signature.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = new Date('2026-01-01T00:00:00Z');
const TS = String(NOW.getTime() / 1000);
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';

function sign(body: string, timestamp: string, secret = SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

describe('verifySlackSignature', () => {
  it('accepts a v0 signature over the raw body and returns the body', () => {
    const signed = { raw: Buffer.from(BODY), timestamp: TS, signature: sign(BODY, TS) };
    expect(verifySlackSignature(signed, SECRET, NOW)).toBe(BODY);
  });

  it('accepts a timestamp just inside the 5-minute window', () => {
    const ts = String(Number(TS) - 300);
    const signed = { raw: Buffer.from(BODY), timestamp: ts, signature: sign(BODY, ts) };
    expect(verifySlackSignature(signed, SECRET, NOW)).toBe(BODY);
  });

  const stale = String(Number(TS) - 301);
  const future = String(Number(TS) + 301);
  it.each<[string, { raw: unknown; timestamp?: string; signature?: string }]>([
    ['another secret', { raw: Buffer.from(BODY), timestamp: TS, signature: sign(BODY, TS, 'x') }],
    ['a changed body', { raw: Buffer.from(`${BODY}x`), timestamp: TS, signature: sign(BODY, TS) }],
    [
      'a stale timestamp',
      { raw: Buffer.from(BODY), timestamp: stale, signature: sign(BODY, stale) },
    ],
    [
      'a future timestamp',
      { raw: Buffer.from(BODY), timestamp: future, signature: sign(BODY, future) },
    ],
    ['no timestamp', { raw: Buffer.from(BODY), signature: sign(BODY, TS) }],
    ['no signature', { raw: Buffer.from(BODY), timestamp: TS }],
    ['a truncated signature', { raw: Buffer.from(BODY), timestamp: TS, signature: 'v0=ab' }],
    [
      'a parsed (not raw) body',
      { raw: { payload: '{}' }, timestamp: TS, signature: sign(BODY, TS) },
    ],
  ])('refuses %s as unauthenticated', (_, signed) => {
    expect(() => verifySlackSignature(signed, SECRET, NOW)).toThrow(
      expect.objectContaining({ code: 'unauthenticated' }) as DomainError,
    );
  });
});
