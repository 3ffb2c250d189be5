import { CompactSign, SignJWT } from 'jose';
import type { ActiveKey, SigningKeys } from './signing-keys.js';

/** What a `jwt` credential states (docs/api.md §4). */
export interface CredentialClaims {
  grantId: string;
  requestId: string;
  recipient: string;
  resource: string;
  role: string;
  actions: readonly string[];
  approvers: readonly string[];
  issuedAt: Date;
  expiresAt: Date;
  /** The agent acting for the recipient: claim `act: {sub}` (RFC 8693). */
  actor?: string;
}

/** Signs credentials with one key, loaded before any transaction opens. */
export interface CredentialSigner {
  mint(claims: CredentialClaims): Promise<{ token: string; kid: string }>;
  /** The signed revocation list of docs/api.md §8: claims `iss`, `iat`, `exp`, `revoked`. */
  signRevocationList(
    revoked: readonly string[],
    now: Date,
    lifetimeSeconds: number,
  ): Promise<string>;
  /**
   * A compact JWS over exact bytes (approval receipts, evidence bundles). Its `typ` tells it from a
   * credential, and it carries no `aud`, so no resource server accepts it as one.
   */
  signBytes(typ: string, payload: Uint8Array): Promise<string>;
}

export class CredentialMinter {
  constructor(
    private readonly keys: SigningKeys,
    /** `iss` of credentials, receipts and evidence. */
    readonly issuer: string,
  ) {}

  /**
   * Loads the active key now. Callers do this before their transaction: loading it inside one
   * would need a second pool connection while holding row and audit locks, and under load every
   * connection can be waiting on those locks.
   */
  async signer(): Promise<CredentialSigner> {
    const key = await this.keys.activeKey();
    return {
      mint: (claims) => this.sign(key, claims),
      signRevocationList: (revoked, now, lifetimeSeconds) => {
        const iat = Math.floor(now.getTime() / 1000);
        return new SignJWT({ revoked: [...revoked] })
          .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'JWT' })
          .setIssuer(this.issuer)
          .setIssuedAt(iat)
          .setExpirationTime(iat + lifetimeSeconds)
          .sign(key.privateKey);
      },
      signBytes: (typ, payload) =>
        new CompactSign(payload)
          .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ })
          .sign(key.privateKey),
    };
  }

  private async sign(
    key: ActiveKey,
    claims: CredentialClaims,
  ): Promise<{ token: string; kid: string }> {
    const iat = Math.floor(claims.issuedAt.getTime() / 1000);
    const token = await new SignJWT({
      role: claims.role,
      scope: claims.actions.join(' '),
      request_id: claims.requestId,
      approvers: [...claims.approvers],
      ...(claims.actor ? { act: { sub: claims.actor } } : {}),
    })
      .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setSubject(claims.recipient)
      .setAudience(claims.resource)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
      .setJti(claims.grantId)
      .sign(key.privateKey);
    return { token, kid: key.kid };
  }
}
