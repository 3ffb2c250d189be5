import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CryptoKey, JWK } from 'jose';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

export interface SvidOptions {
  /** One audience (`countersign` by default) or several. */
  audience?: string | string[];
  /** The `typ` header (`JWT` by default); null leaves it out. */
  typ?: string | null;
  /** `iat` as epoch seconds (now by default). */
  issuedAt?: number;
  expiresIn?: string;
  /** Sign with the key the bundle lists for X.509-SVIDs only: it must never verify a JWT. */
  x509Key?: boolean;
  /** Sign with a key the bundle does not list. */
  strayKey?: boolean;
}

interface SigningKey {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } };
}

/**
 * A SPIFFE trust domain for tests, as SPIRE would run it: a SPIFFE bundle (a JWKS whose JWT key
 * says `use: jwt-svid`, next to an `x509-svid` authority) served over HTTP and written to a file,
 * and JWT-SVIDs minted for any SPIFFE ID.
 */
export class SvidIssuer {
  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    readonly url: string,
    readonly trustDomain: string,
    private readonly jwtKey: SigningKey,
    private readonly x509Key: SigningKey,
    private readonly stray: SigningKey,
  ) {}

  static async start(trustDomain: string): Promise<SvidIssuer> {
    const [jwtKey, x509Key, stray] = await Promise.all([
      signingKey('jwt-authority'),
      signingKey('x509-authority'),
      signingKey('stray'),
    ]);
    const bundle = JSON.stringify({
      spiffe_sequence: 1,
      spiffe_refresh_hint: 300,
      keys: [
        { ...jwtKey.jwk, use: 'jwt-svid' },
        { ...x509Key.jwk, use: 'x509-svid' },
      ],
    });
    const server = createServer((req, res) => {
      if (req.url === '/bundle') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(bundle);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const dir = mkdtempSync(join(tmpdir(), 'svid-'));
    writeFileSync(join(dir, 'bundle.json'), bundle);
    return new SvidIssuer(
      server,
      dir,
      `http://127.0.0.1:${port}`,
      trustDomain,
      jwtKey,
      x509Key,
      stray,
    );
  }

  get bundleUri(): string {
    return `${this.url}/bundle`;
  }

  get bundleFile(): string {
    return join(this.dir, 'bundle.json');
  }

  /** The SPIFFE ID of `path` in this trust domain. */
  id(path: string): string {
    return `spiffe://${this.trustDomain}/${path}`;
  }

  /** A JWT-SVID for `spiffeId` (any trust domain: tests forge mismatches on purpose). */
  async svid(spiffeId: string, options: SvidOptions = {}): Promise<string> {
    const key = options.x509Key ? this.x509Key : options.strayKey ? this.stray : this.jwtKey;
    return new SignJWT({})
      .setProtectedHeader({
        alg: 'ES256',
        kid: key.jwk.kid,
        ...(options.typ === null ? {} : { typ: options.typ ?? 'JWT' }),
      })
      .setSubject(spiffeId)
      .setAudience(options.audience ?? 'countersign')
      .setIssuedAt(options.issuedAt)
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(key.privateKey);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
