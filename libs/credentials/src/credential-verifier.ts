import type { JWTPayload } from 'jose';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { SigningKeys } from './signing-keys.js';

export interface VerifiedCredential extends JWTPayload {
  jti: string;
  sub: string;
  role?: string;
  scope?: string;
}

/** Checks a credential the broker minted: its signature against our JWKS, issuer and lifetime. */
export class CredentialVerifier {
  constructor(
    private readonly keys: SigningKeys,
    private readonly issuer: string,
  ) {}

  /** The verified claims, or undefined for anything we did not sign or that is no longer valid. */
  async verify(token: string, now: Date): Promise<VerifiedCredential | undefined> {
    try {
      const jwks = createLocalJWKSet(await this.keys.jwks());
      const { payload } = await jwtVerify(token, jwks, {
        issuer: this.issuer,
        algorithms: ['EdDSA', 'Ed25519', 'ES256'],
        currentDate: now,
        requiredClaims: ['jti', 'sub', 'exp', 'iat'],
      });
      return payload as VerifiedCredential;
    } catch {
      return undefined;
    }
  }
}
