import type { JWTPayload, JWTVerifyGetKey, JWTVerifyResult } from 'jose';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { IssuerConfig, SpiffeIssuerConfig } from '#config';
import { DomainError, parseSpiffeId } from '#domain';
import type { AuthenticatedPrincipal, DirectoryGroups } from './authenticated-principal.js';
import { withDirectoryGroups } from './authenticated-principal.js';
import { CLOCK_TOLERANCE_SECONDS, hygieneProblem } from './token-hygiene.js';
import type { TokenIdentity, VerifiedTokenCacheOptions } from './verified-token-cache.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { WorkloadVerifier } from './workload-verifier.js';

// Asymmetric algorithms only: never `none`, never HMAC (which would accept a public key as secret).
export const ALLOWED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

const MAX_TOKEN_LENGTH = 16 * 1024;
const MAX_GROUPS = 256;

interface TrustedIssuer {
  config: IssuerConfig;
  keys: JWTVerifyGetKey;
}

const unauthenticated = (message: string) => new DomainError('unauthenticated', message);

/**
 * Verifies bearer tokens from the configured issuers and turns them into principals. A token goes
 * to the issuer its `iss` names; failing that, a token whose `sub` is a SPIFFE ID goes to that ID's
 * trust domain. Either way the signature must then verify against that issuer's keys alone, so the
 * unverified claims choose where to look, never what to trust. A token of an issuer that verified
 * is remembered (VerifiedTokenCache) until its `exp` at most, so a client sending it again costs a
 * hash; its directory groups are still looked up on every use.
 */
export class TokenVerifier {
  private readonly issuers = new Map<string, TrustedIssuer>();
  private readonly workloads = new Map<string, WorkloadVerifier>();
  private readonly verified: VerifiedTokenCache;

  constructor(
    issuers: readonly IssuerConfig[],
    private readonly directory: DirectoryGroups,
    workloadIssuers: readonly SpiffeIssuerConfig[] = [],
    cache: VerifiedTokenCacheOptions = {},
  ) {
    this.verified = new VerifiedTokenCache(cache);
    for (const config of issuers) {
      const keys = createRemoteJWKSet(new URL(config.jwksUri), {
        timeoutDuration: 5000,
        cooldownDuration: 30_000,
      });
      this.issuers.set(config.issuer, { config, keys });
    }
    for (const config of workloadIssuers) {
      this.workloads.set(config.trustDomain, new WorkloadVerifier(config, directory));
    }
  }

  async verify(token: string): Promise<AuthenticatedPrincipal> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH)
      throw unauthenticated('malformed token');
    const known = this.verified.get(token);
    if (known) return principalOf(known, this.directory);
    const claims = this.unverifiedClaims(token);
    const trusted = typeof claims.iss === 'string' ? this.issuers.get(claims.iss) : undefined;
    if (!trusted) return this.verifyWorkload(token, claims);
    let verified: JWTVerifyResult;
    try {
      verified = await jwtVerify(token, trusted.keys, {
        algorithms: ALLOWED_ALGORITHMS,
        issuer: trusted.config.issuer,
        audience: trusted.config.audience,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
    } catch {
      // The reason stays in our logs' absence on purpose: it would help an attacker tune a forgery.
      throw unauthenticated('invalid token');
    }
    const { protectedHeader, payload } = verified;
    // A bad `typ` or a future `iat` gets the same answer as a bad signature (docs/identity.md).
    if (hygieneProblem(protectedHeader, payload, { nowSeconds: Date.now() / 1000 })) {
      throw unauthenticated('invalid token');
    }
    const identity = identityFromClaims(trusted.config, payload);
    // jwtVerify required `exp`, a number.
    this.verified.remember(token, identity, payload.exp as number);
    return principalOf(identity, this.directory);
  }

  private verifyWorkload(token: string, claims: JWTPayload): Promise<AuthenticatedPrincipal> {
    const spiffeId = typeof claims.sub === 'string' ? parseSpiffeId(claims.sub) : undefined;
    const workload = spiffeId && this.workloads.get(spiffeId.trustDomain);
    if (!workload) throw unauthenticated('token from an untrusted issuer');
    return workload.verify(token);
  }

  private unverifiedClaims(token: string): JWTPayload {
    try {
      return decodeJwt(token);
    } catch {
      throw unauthenticated('malformed token');
    }
  }
}

/**
 * The principal an issuer's verified claims name (docs/api.md §1): `<issuerName>:<sub>`, with the
 * groups of the issuer's `groupsClaim` plus the directory's. Bearer tokens and the web sign-in's
 * ID tokens both go through here, so both paths build the same principal.
 */
export function principalFromClaims(
  issuer: IssuerConfig,
  claims: JWTPayload,
  directory: DirectoryGroups,
): AuthenticatedPrincipal {
  return principalOf(identityFromClaims(issuer, claims), directory);
}

function identityFromClaims(issuer: IssuerConfig, claims: JWTPayload): TokenIdentity {
  if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > 256) {
    throw unauthenticated('invalid token subject');
  }
  const email = emailFrom(claims);
  return {
    id: `${issuer.name}:${claims.sub}`,
    tokenGroups: groupsFrom(claims, issuer.groupsClaim),
    ...(email === undefined ? {} : { email }),
  };
}

// One @, no white space, no angle brackets or quotes: an address to write to, nothing to parse.
const EMAIL = /^[^\s@<>"',;]{1,64}@[^\s@<>"',;]{1,253}$/u;

/** The `email` claim, unless the issuer says it is unverified (`email_verified: false`). */
function emailFrom(claims: JWTPayload): string | undefined {
  const { email, email_verified: verified } = claims;
  if (typeof email !== 'string' || verified === false || email.length > 254) return undefined;
  return EMAIL.test(email) ? email : undefined;
}

/** The principal, with the directory's groups as they are now. */
function principalOf(
  { id, tokenGroups, email }: TokenIdentity,
  directory: DirectoryGroups,
): AuthenticatedPrincipal {
  return {
    id,
    groups: withDirectoryGroups(id, tokenGroups ?? [], directory),
    tokenGroups: [...(tokenGroups ?? [])],
    // An issuer without a groups claim gives none, knowingly; one whose token lacks the claim
    // (an ID token, say) leaves them unknown, and admin reach is judged from elsewhere.
    tokenGroupsKnown: tokenGroups !== undefined,
    ...(email === undefined ? {} : { email }),
  };
}

/** The token's groups; undefined when the issuer has a groups claim and the token lacks it. */
function groupsFrom(payload: JWTPayload, claim: string | undefined): string[] | undefined {
  if (!claim) return [];
  const value = payload[claim];
  if (!Array.isArray(value)) return undefined;
  return value
    .filter((group): group is string => typeof group === 'string' && group.length <= 256)
    .slice(0, MAX_GROUPS);
}
