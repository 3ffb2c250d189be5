import type { JWTPayload, ProtectedHeaderParameters } from 'jose';

/** Clock skew allowed on `exp`, `nbf` and `iat`, for issuer tokens and JWT-SVIDs alike. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * The `typ` headers a bearer token may carry: none, a plain JWT, or an OAuth access token
 * (RFC 9068). Compared case-insensitively, with or without the `application/` prefix (RFC 7515
 * §4.1.9). Every other type is a token minted for something else (DPoP proofs, security event and
 * logout tokens, receipts…) that happens to be signed by a trusted key: it must not open the API.
 */
const ACCEPTED_TYPES: ReadonlySet<string> = new Set(['jwt', 'at+jwt']);
const MEDIA_TYPE_PREFIX = 'application/';

/** Why a verified token is still refused; never shown to the caller. */
export type HygieneProblem = 'typ' | 'iat_in_future' | 'several_audiences';

export function acceptedTyp(typ: unknown): boolean {
  if (typ === undefined) return true;
  if (typeof typ !== 'string') return false;
  const type = typ.toLowerCase();
  const short = type.startsWith(MEDIA_TYPE_PREFIX) ? type.slice(MEDIA_TYPE_PREFIX.length) : type;
  return ACCEPTED_TYPES.has(short);
}

/** An `iat` later than now plus the skew allowance: a token from the future, `nbf` or not. */
export function issuedInTheFuture(iat: unknown, nowSeconds: number): boolean {
  return typeof iat === 'number' && iat > nowSeconds + CLOCK_TOLERANCE_SECONDS;
}

/**
 * The checks a signature-verified token must still pass. `singleAudience` (JWT-SVIDs): the SPIFFE
 * standard lets an SVID name several audiences, but any of those services could then replay it
 * here, so an SVID must name exactly one.
 */
export function hygieneProblem(
  header: ProtectedHeaderParameters,
  payload: JWTPayload,
  options: { nowSeconds: number; singleAudience?: boolean },
): HygieneProblem | undefined {
  if (!acceptedTyp(header.typ)) return 'typ';
  if (issuedInTheFuture(payload.iat, options.nowSeconds)) return 'iat_in_future';
  if (options.singleAudience && Array.isArray(payload.aud) && payload.aud.length !== 1) {
    return 'several_audiences';
  }
  return undefined;
}
