import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Service-account API keys (docs/identity.md): `cs_sa_<key id>_<secret>`.
 *
 * - The prefix lets secret scanners and people recognise a leaked key, and lets the broker tell a
 *   key from a JWT before doing anything with it.
 * - The key id (8 random bytes, hex) is not secret: it finds the stored key in one indexed read.
 * - The secret is 32 random bytes from the OS generator. Only SHA-256 of the whole key is stored.
 *   A slow or salted hash (scrypt, HMAC with a pepper) protects guessable passwords; a 256-bit
 *   random secret cannot be guessed from its hash however fast the hash is, so SHA-256 suffices.
 * - The presented key's hash is compared with the stored one in constant time.
 */
export const API_KEY_PREFIX = 'cs_sa_';

const API_KEY = /^cs_sa_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface IssuedApiKey {
  /** Shown to the caller once, never stored. */
  readonly key: string;
  readonly keyId: string;
  /** Hex SHA-256 of `key`: what is stored. */
  readonly hash: string;
}

export function issueApiKey(): IssuedApiKey {
  const keyId = randomBytes(8).toString('hex');
  const key = `${API_KEY_PREFIX}${keyId}_${randomBytes(32).toString('base64url')}`;
  return { key, keyId, hash: hashApiKey(key) };
}

/** True for a bearer value that is meant as an API key (well formed or not). */
export function looksLikeApiKey(bearer: string): boolean {
  return bearer.startsWith(API_KEY_PREFIX);
}

/** The key id of a well-formed key, or undefined. */
export function apiKeyId(key: string): string | undefined {
  return API_KEY.exec(key)?.[1];
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented key with a stored hash. */
export function apiKeyMatches(key: string, storedHash: string): boolean {
  const presented = createHash('sha256').update(key, 'utf8').digest();
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
