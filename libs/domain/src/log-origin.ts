/**
 * The transparency log's origin (c2sp.org/tlog-checkpoint), also its key's note name. Here so that
 * libs/config (which may import only #domain) and libs/audit share one rule.
 */

/** The host and path of publicUrl, then `/audit`: `https://cs.example.com/base/` → `cs.example.com/base/audit`. */
export function defaultOrigin(publicUrl: string): string {
  const url = new URL(publicUrl);
  return `${url.host}${url.pathname.replace(/\/+$/, '')}/audit`;
}

export const MAX_ORIGIN_LENGTH = 256;

/** Non-empty, at most 256 characters, no white space or control character, no '+' (a note key name). */
export function isValidOrigin(origin: string): boolean {
  return (
    origin !== '' &&
    origin.length <= MAX_ORIGIN_LENGTH &&
    !/[\p{White_Space}\p{Cc}+]/u.test(origin) &&
    // A lone surrogate (paired ones are code points, which the u flag does not match here).
    !/[\uD800-\uDFFF]/u.test(origin)
  );
}
