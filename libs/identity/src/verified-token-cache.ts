import { createHash } from 'node:crypto';

/**
 * Who a verified bearer token names: its principal id and the groups it carried (undefined when
 * the issuer has a groups claim and the token lacked it). Never the directory's groups, which are
 * looked up on every use.
 */
export interface TokenIdentity {
  readonly id: string;
  readonly tokenGroups: readonly string[] | undefined;
  /** The token's `email` claim, when it carries a plausible address not marked unverified. */
  readonly email?: string;
}

export interface VerifiedTokenCacheOptions {
  /** Entries kept at most; the least recently used goes first. */
  maxEntries?: number;
  /** Longest an entry is trusted without verifying the token again, whatever its `exp`. */
  maxAgeMs?: number;
  now?: () => number;
}

interface Entry {
  identity: TokenIdentity;
  /** Epoch ms after which the entry is not used: the token's `exp` or the age limit. */
  until: number;
}

const DEFAULT_MAX_ENTRIES = 10_000;
// A key its issuer withdrew is noticed only when jose next fetches the JWKS; this bounds how much
// longer a cached token of that key is accepted.
const DEFAULT_MAX_AGE_MS = 5 * 60_000;

/**
 * Bearer tokens whose signature and claims verified, so that a client presenting the same token
 * again costs a hash, not a signature check. Keyed by the token's SHA-256 (the token itself is not
 * kept), bounded in size (least recently used evicted) and never used at or past the token's
 * `exp`. Only successful verifications go in: a refused token is checked again every time.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: VerifiedTokenCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.now = options.now ?? Date.now;
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 0) {
      throw new Error('maxEntries must be a non-negative integer');
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The identity of a token verified before and still within its `exp`, else undefined. */
  get(token: string): TokenIdentity | undefined {
    const key = keyOf(token);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (this.now() >= entry.until) return undefined;
    // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
    this.entries.set(key, entry);
    return entry.identity;
  }

  /** Remembers a token that just verified; `expSeconds` is its `exp` claim. */
  remember(token: string, identity: TokenIdentity, expSeconds: number): void {
    if (this.maxEntries === 0 || !Number.isFinite(expSeconds)) return;
    const now = this.now();
    const until = Math.min(expSeconds * 1000, now + this.maxAgeMs);
    if (until <= now) return;
    const key = keyOf(token);
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    const tokenGroups = identity.tokenGroups && Object.freeze([...identity.tokenGroups]);
    this.entries.set(key, { identity: Object.freeze({ id: identity.id, tokenGroups }), until });
  }
}

function keyOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
