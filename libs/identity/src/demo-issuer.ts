import type { CryptoKey, JWK } from 'jose';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { DemoUser, IssuerConfig } from '#config';

const TOKEN_LIFETIME = '8h';

/**
 * The identity provider of the demo config, so a newcomer can try the whole flow without one.
 * Its key lives in memory only: tokens stop working when the broker restarts. The broker wires
 * this in only when the built-in demo config is in use.
 */
export class DemoIssuer {
  private constructor(
    private readonly issuer: IssuerConfig,
    private readonly users: readonly DemoUser[],
    private readonly privateKey: CryptoKey,
    readonly jwks: { keys: JWK[] },
  ) {}

  static async create(issuer: IssuerConfig, users: readonly DemoUser[]): Promise<DemoIssuer> {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'demo', alg: 'EdDSA', use: 'sig' };
    return new DemoIssuer(issuer, users, privateKey, { keys: [jwk] });
  }

  listUsers(): readonly DemoUser[] {
    return this.users;
  }

  /** A token for a demo user, or undefined when there is no such user. */
  async tokenFor(name: string): Promise<string | undefined> {
    const user = this.users.find((candidate) => candidate.name === name);
    if (!user) return undefined;
    return new SignJWT({ groups: user.groups, name: user.name })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'demo', typ: 'JWT' })
      .setIssuer(this.issuer.issuer)
      .setAudience(this.issuer.audience)
      .setSubject(user.sub)
      .setIssuedAt()
      .setExpirationTime(TOKEN_LIFETIME)
      .sign(this.privateKey);
  }
}
