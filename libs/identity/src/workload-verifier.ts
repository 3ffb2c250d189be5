import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { jwtVerify } from 'jose';
import type { SpiffeIssuerConfig } from '#config';
import { DomainError, parseSpiffeId, workloadPrincipal } from '#domain';
import { BundleFile, remoteBundle } from './jwt-svid-bundle.js';
import type { AuthenticatedPrincipal } from './authenticated-principal.js';
import { withDirectoryGroups } from './authenticated-principal.js';

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
const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * One SPIFFE trust domain: verifies its JWT-SVIDs (signature against the domain's bundle, `aud`,
 * `exp`) and names the workload `spiffe:<SPIFFE ID>`. The `sub` must be a SPIFFE ID of this very
 * trust domain: a key of one domain never vouches for a workload of another.
 */
export class WorkloadVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(
    readonly config: SpiffeIssuerConfig,
    private readonly directory: Readonly<Record<string, readonly string[]>>,
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
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: JWT_SVID_ALGORITHMS,
        audience: this.config.audience,
        requiredClaims: ['exp', 'sub', 'aud'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch {
      throw new DomainError('unauthenticated', 'invalid token');
    }
    const spiffeId = typeof payload.sub === 'string' ? parseSpiffeId(payload.sub) : undefined;
    if (!spiffeId || spiffeId.trustDomain !== this.config.trustDomain) {
      throw new DomainError('unauthenticated', 'invalid token subject');
    }
    const id = workloadPrincipal(payload.sub as string);
    // A JWT-SVID carries no groups: a workload's groups are the directory's.
    return { id, groups: withDirectoryGroups(id, [], this.directory), tokenGroups: [] };
  }
}
