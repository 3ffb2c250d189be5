import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CryptoKey, JWK } from 'jose';
import { SignJWT, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { DemoUser, IssuerConfig } from '#config';

const TOKEN_LIFETIME = '8h';

/**
 * The identity provider of the demo config, so a newcomer can try the whole flow without one.
 * Its key is kept in `keyFile` (next to the demo's SQLite database), so tokens handed out survive
 * a restart of the demo. The broker wires this in only when the built-in demo config is in use:
 * a demo key in a plain file is fine for a demo and for nothing else.
 */
export class DemoIssuer {
  private constructor(
    private readonly issuer: IssuerConfig,
    private readonly users: readonly DemoUser[],
    private readonly privateKey: CryptoKey,
    readonly jwks: { keys: JWK[] },
  ) {}

  static async create(
    issuer: IssuerConfig,
    users: readonly DemoUser[],
    keyFile: string,
  ): Promise<DemoIssuer> {
    const privateJwk = await demoKey(keyFile);
    const privateKey = (await importJWK(privateJwk, 'EdDSA')) as CryptoKey;
    const { kty, crv, x } = privateJwk;
    const jwk = { kty, crv, x, kid: 'demo', alg: 'EdDSA', use: 'sig' };
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

/** The demo's private key as a JWK: read from `file`, or made and written there (owner-only). */
async function demoKey(file: string): Promise<JWK> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const { kty, crv, x, d } = await exportJWK(privateKey);
  const jwk: JWK = { kty, crv, x, d };
  await mkdir(dirname(file), { recursive: true });
  try {
    // 'wx': two demo brokers starting at once on one directory keep the first key written.
    await writeFile(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
    return jwk;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return JSON.parse(await readFile(file, 'utf8')) as JWK;
  }
}
