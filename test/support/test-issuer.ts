import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

export interface TokenOptions {
  groups?: string[];
  audience?: string;
  issuer?: string;
  expiresIn?: string | number;
  /** Sign with a key the JWKS does not publish. */
  unknownKey?: boolean;
  claims?: JWTPayload;
  /** The `typ` header (`JWT` by default); null leaves it out. */
  typ?: string | null;
  /** `iat` as epoch seconds (now by default). */
  issuedAt?: number;
}

/**
 * An OpenID-style token issuer for tests: its JWKS is served over HTTP on localhost, exactly as a
 * real identity provider's would be, so the broker's remote JWKS path is what gets tested.
 */
export class TestIssuer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly privateKey: CryptoKey,
    private readonly strayKey: CryptoKey,
    readonly publicJwk: JWK,
  ) {}

  static async start(): Promise<TestIssuer> {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const stray = await generateKeyPair('EdDSA');
    const publicJwk: JWK = {
      ...(await exportJWK(publicKey)),
      kid: 'test-key',
      alg: 'EdDSA',
      use: 'sig',
    };
    const server = createServer((req, res) => {
      if (req.url === '/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [publicJwk] }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new TestIssuer(
      server,
      `http://127.0.0.1:${port}`,
      privateKey,
      stray.privateKey,
      publicJwk,
    );
  }

  get jwksUri(): string {
    return `${this.url}/jwks.json`;
  }

  async token(sub: string, options: TokenOptions = {}): Promise<string> {
    const jwt = new SignJWT({ groups: options.groups ?? [], ...options.claims })
      .setProtectedHeader({
        alg: 'EdDSA',
        kid: options.unknownKey ? 'stray-key' : 'test-key',
        ...(options.typ === null ? {} : { typ: options.typ ?? 'JWT' }),
      })
      .setIssuer(options.issuer ?? this.url)
      .setAudience(options.audience ?? 'countersign')
      .setSubject(sub)
      .setIssuedAt(options.issuedAt)
      .setExpirationTime(options.expiresIn ?? '1h');
    return jwt.sign(options.unknownKey ? this.strayKey : this.privateKey);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
