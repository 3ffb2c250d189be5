import type { JWTVerifyGetKey, JWTVerifyResult } from 'jose';
import { jwtVerify } from 'jose';
import type { SpiffeIssuerConfig } from '#config';
import { DomainError, parseSpiffeId, workloadPrincipal } from '#domain';
import { BundleFile, remoteBundle } from './jwt-svid-bundle.js';
import type { AuthenticatedPrincipal, DirectoryGroups } from './authenticated-principal.js';
import { withDirectoryGroups } from './authenticated-principal.js';
import { CLOCK_TOLERANCE_SECONDS, hygieneProblem } from './token-hygiene.js';

// The JWT-SVID standard's algorithms: RSA and ECDSA only, never `none` or HMAC.
const JWT_SVID_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
];

/**
 * One SPIFFE trust domain: verifies its JWT-SVIDs (signature against the domain's bundle, `aud`
 * naming this broker alone, `exp`, `iat`, `typ`: see token-hygiene.ts) and names the workload `spiffe:<SPIFFE ID>`. The `sub` must be a SPIFFE ID of this very
 * trust domain: a key of one domain never vouches for a workload of another.
 */
export class WorkloadVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(
    readonly config: SpiffeIssuerConfig,
    private readonly directory: DirectoryGroups,
  ) {
    if (config.bundleFile !== undefined) {
      try {
        this.keys = new BundleFile(config.bundleFile).getKey;
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new Error(`auth.issuers "${config.name}": cannot read bundleFile: ${why}`, {
          cause: error,
        });
      }
    } else if (config.jwksUri !== undefined) {
      this.keys = remoteBundle(config.jwksUri);
    } else {
      throw new Error(`auth.issuers "${config.name}": no jwksUri or bundleFile`);
    }
  }

  get trustDomain(): string {
    return this.config.trustDomain;
  }

  async verify(token: string): Promise<AuthenticatedPrincipal> {
    let verified: JWTVerifyResult;
    try {
      verified = await jwtVerify(token, this.keys, {
        algorithms: JWT_SVID_ALGORITHMS,
        audience: this.config.audience,
        requiredClaims: ['exp', 'sub', 'aud'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
    } catch {
      throw new DomainError('unauthenticated', 'invalid token');
    }
    const { protectedHeader, payload } = verified;
    const nowSeconds = Date.now() / 1000;
    if (hygieneProblem(protectedHeader, payload, { nowSeconds, singleAudience: true })) {
      throw new DomainError('unauthenticated', 'invalid token');
    }
    const spiffeId = typeof payload.sub === 'string' ? parseSpiffeId(payload.sub) : undefined;
    if (!spiffeId || spiffeId.trustDomain !== this.config.trustDomain) {
      throw new DomainError('unauthenticated', 'invalid token subject');
    }
    const id = workloadPrincipal(payload.sub as string);
    // A JWT-SVID carries no groups: a workload's groups are the directory's.
    return {
      id,
      groups: withDirectoryGroups(id, [], this.directory),
      tokenGroups: [],
      tokenGroupsKnown: true,
    };
  }
}
