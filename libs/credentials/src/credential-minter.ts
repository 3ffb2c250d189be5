import { SignJWT } from 'jose';
import type { SigningKeys } from './signing-keys.js';

/** What a `jwt` credential states (API.md §4). */
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
}

export class CredentialMinter {
  constructor(
    private readonly keys: SigningKeys,
    private readonly issuer: string,
  ) {}

  async mint(claims: CredentialClaims): Promise<{ token: string; kid: string }> {
    const key = await this.keys.activeKey();
    const iat = Math.floor(claims.issuedAt.getTime() / 1000);
    const token = await new SignJWT({
      role: claims.role,
      scope: claims.actions.join(' '),
      request_id: claims.requestId,
      approvers: [...claims.approvers],
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
