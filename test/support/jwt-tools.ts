import { createHash, createHmac, createPublicKey, verify } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { SignJWT } from 'jose';
import type { TestBroker } from './broker.js';
import type { TestIssuer } from './test-issuer.js';

/**
 * JWT tools for security tests, written against node:crypto only, so that what they check does
 * not depend on the library the broker itself uses.
 */

export const b64url = (value: object | Buffer): string =>
  (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');

export function decodePart<T = Record<string, unknown>>(part: string): T {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as T;
}

/** Claims a trusted issuer's token would carry, for hand-made tokens. */
export function claimsFor(
  issuer: TestIssuer,
  sub: string,
  groups: string[] = [],
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: issuer.url, aud: 'countersign', sub, groups, iat: now, exp: now + 3600 };
}

/** `alg: none`: a header and payload with an empty signature. */
export function unsignedToken(payload: object): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
}

/** HS256 over header.payload with a caller-chosen secret (the classic public-key-as-HMAC-secret forgery). */
export function hmacToken(payload: object, secret: Buffer | string, kid = 'test-key'): string {
  const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT', kid })}.${b64url(payload)}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

/** Signs arbitrary claims (e.g. without `sub`) with the test issuer's real key. */
export async function signAsIssuer(issuer: TestIssuer, claims: JWTPayload): Promise<string> {
  // The harness keeps the key private; a test that needs a token the harness cannot make reaches in.
  const key: CryptoKey = issuer['privateKey'];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: 'test-key', typ: 'JWT' })
    .sign(key);
}

export interface DecodedJwt {
  header: { alg: string; kid?: string; typ?: string };
  payload: Record<string, unknown>;
}

/**
 * Verifies a compact JWS against a JWKS with node:crypto alone: the header's kid must name a
 * published key, and the signature must verify under it. Throws on any failure.
 */
export function verifyIndependently(token: string, jwks: { keys: JWK[] }): DecodedJwt {
  const [h, p, s, ...rest] = token.split('.');
  if (!h || !p || !s || rest.length > 0) throw new Error('not a compact JWS');
  const header = decodePart<DecodedJwt['header']>(h);
  const jwk = jwks.keys.find((candidate) => candidate.kid === header.kid);
  if (!jwk) throw new Error(`kid ${String(header.kid)} is not in the JWKS`);
  if (jwk.alg !== header.alg)
    throw new Error(`header alg ${header.alg} differs from the key's ${String(jwk.alg)}`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  let ok: boolean;
  if (header.alg === 'EdDSA' || header.alg === 'Ed25519') ok = verify(null, data, key, signature);
  else if (header.alg === 'ES256')
    ok = verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  else throw new Error(`unexpected alg ${header.alg}`);
  if (!ok) throw new Error('signature does not verify');
  return { header, payload: decodePart(p) };
}

/** The same token with one bit of its signature flipped. */
export function flipSignatureBit(token: string): string {
  const [h, p, s] = token.split('.');
  const signature = Buffer.from(s, 'base64url');
  signature[10] ^= 0x01;
  return `${h}.${p}.${signature.toString('base64url')}`;
}

export interface ChainEvent {
  seq: number;
  prevHash: string;
  hash: string;
  [key: string]: unknown;
}

/** Recomputes docs/api.md §5's chain; returns the first seq that does not link, or undefined. */
export function firstBrokenLink(events: readonly ChainEvent[]): number | undefined {
  let prev = '0'.repeat(64);
  for (const [index, event] of events.entries()) {
    const { prevHash, hash, ...rest } = event;
    const expected = createHash('sha256')
      .update(prevHash + canonicalize(rest))
      .digest('hex');
    if (event.seq !== index + 1 || prevHash !== prev || hash !== expected) return event.seq;
    prev = hash;
  }
  return undefined;
}

/** A response text that shows a stack frame or a source path. */
export function leaksInternals(text: string): boolean {
  return [/^\s*at\s/m, /\bat\s+\S+\s+\(/, /\.(ts|js):\d/, /"stack"/, /node_modules/].some(
    (pattern) => pattern.test(text),
  );
}

/** What the contract fixes about an error answer: its status, a JSON `{error, message}`, no internals. */
export function errorShape(response: { status: number; text: string }) {
  const body = JSON.parse(response.text) as Record<string, unknown>;
  return {
    status: response.status,
    error: typeof body.error,
    message: typeof body.message,
    leaks: leaksInternals(response.text),
  };
}

/** One exact assertion on an error answer's status and code. */
export function expectError(
  response: { status: number; body: { error?: unknown } },
  status: number,
  error: string,
): void {
  expect({ status: response.status, error: response.body.error }).toEqual({ status, error });
}

/** The field names an `invalid_request` answer blames. */
export const failingFields = (response: { body: { fields?: { field: string }[] } }) =>
  (response.body.fields ?? []).map((failure) => failure.field);

/** A client for one principal; every bearer token it is given is added to `seen`. */
export async function trackedClient(
  on: TestBroker,
  seen: Set<string>,
  user: string,
  groups?: string[],
) {
  const token = await on.token(user, groups);
  seen.add(token);
  const auth = `Bearer ${token}`;
  return {
    get: (path: string) => on.http.get(path).set('authorization', auth),
    post: (path: string, body: object = {}) =>
      on.http.post(path).set('authorization', auth).send(body),
    /** A body sent as is, for malformed JSON. */
    raw: (path: string, body: string) =>
      on.http
        .post(path)
        .set('authorization', auth)
        .set('content-type', 'application/json')
        .send(body),
  };
}

export type TrackedClient = Awaited<ReturnType<typeof trackedClient>>;
