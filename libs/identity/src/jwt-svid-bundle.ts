import { readFile, stat } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import type { JSONWebKeySet, JWK, JWTVerifyGetKey } from 'jose';
import { createLocalJWKSet, createRemoteJWKSet, customFetch } from 'jose';

// A trust bundle larger than this is not a bundle: refuse it rather than parse it.
const MAX_BUNDLE_BYTES = 1024 * 1024;
// How often a bundle file is looked at again (its mtime; re-read only when it changed).
const FILE_RECHECK_MS = 10_000;

/**
 * The JWT signing keys of a SPIFFE bundle. A SPIFFE bundle is a JWKS whose keys say what they
 * authenticate in `use`: `jwt-svid` keys verify JWT-SVIDs, `x509-svid` keys are CA certificates
 * and must never verify a JWT. jose only accepts `use: sig` (or none), so the JWT-SVID keys are
 * kept with `use` removed and every other key is dropped. A plain JWKS (`sig` or no `use`, as
 * SPIRE's OIDC discovery provider serves) passes unchanged.
 */
export function jwtSvidKeys(bundle: unknown): JSONWebKeySet {
  const keys = (bundle as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('a SPIFFE bundle is a JWKS: {"keys": [...]}');
  const usable = keys.filter(
    (key): key is JWK =>
      key !== null &&
      typeof key === 'object' &&
      [undefined, 'sig', 'jwt-svid'].includes((key as JWK).use),
  );
  return { keys: usable.map(({ use: _use, ...key }) => key) };
}

/** A trust domain's bundle served over HTTP(S), cached and re-fetched as jose does for issuers. */
export function remoteBundle(jwksUri: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUri), {
    timeoutDuration: 5000,
    cooldownDuration: 30_000,
    [customFetch]: async (url: string, init: RequestInit) => {
      const response = await fetch(url, init);
      if (response.status !== 200) return response;
      return Response.json(jwtSvidKeys(await response.json()));
    },
  });
}

/**
 * A trust domain's bundle kept in a file (written by the SPIRE agent or an operator). Read when
 * the broker starts — an unreadable or malformed file stops start-up — and again whenever its
 * modification time changes, looked at no more than every 10 s; a rewrite that cannot be read
 * (caught half-written) keeps the previous keys until the next look.
 */
export class BundleFile {
  private keys: JWTVerifyGetKey;
  private mtimeMs: number;
  private checkedAt: number;

  constructor(
    private readonly path: string,
    private readonly recheckMs = FILE_RECHECK_MS,
  ) {
    const size = statSync(path).size;
    if (size > MAX_BUNDLE_BYTES) throw new Error(`${path}: larger than ${MAX_BUNDLE_BYTES} bytes`);
    this.mtimeMs = statSync(path).mtimeMs;
    this.keys = BundleFile.parse(readFileSync(path, 'utf8'));
    this.checkedAt = Date.now();
  }

  private static parse(text: string): JWTVerifyGetKey {
    return createLocalJWKSet(jwtSvidKeys(JSON.parse(text)));
  }

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    await this.refresh();
    return this.keys(header, token);
  };

  private async refresh(): Promise<void> {
    const now = Date.now();
    if (now - this.checkedAt < this.recheckMs) return;
    this.checkedAt = now;
    try {
      const info = await stat(this.path);
      if (info.mtimeMs === this.mtimeMs || info.size > MAX_BUNDLE_BYTES) return;
      this.keys = BundleFile.parse(await readFile(this.path, 'utf8'));
      this.mtimeMs = info.mtimeMs;
    } catch {
      // Keep the keys we have; the next look tries again.
    }
  }
}
