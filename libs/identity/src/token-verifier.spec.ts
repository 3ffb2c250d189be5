import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CryptoKey, JWK } from 'jose';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { IssuerConfig } from '#config';
import { TokenVerifier } from './token-verifier.js';

interface Claims {
  typ?: string | null;
  iat?: number;
  nbf?: number;
  aud?: string | string[];
}

let server: Server;
let issuer: IssuerConfig;
let privateKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = { name: 'corp', issuer: url, jwksUri: `${url}/jwks`, audience: 'countersign' };
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const now = () => Math.floor(Date.now() / 1000);

function token(claims: Claims = {}): Promise<string> {
  const header = claims.typ === null ? {} : { typ: claims.typ ?? 'JWT' };
  const jwt = new SignJWT(claims.nbf === undefined ? {} : { nbf: claims.nbf })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...header })
    .setIssuer(issuer.issuer)
    .setAudience(claims.aud ?? 'countersign')
    .setSubject('alice')
    .setIssuedAt(claims.iat ?? now())
    .setExpirationTime(now() + 7200);
  return jwt.sign(privateKey);
}

describe('TokenVerifier: token hygiene', () => {
  const verifier = () => new TokenVerifier([issuer], () => []);

  it.each<[string, Claims]>([
    ['no typ', { typ: null }],
    ['typ JWT', { typ: 'JWT' }],
    ['typ jwt', { typ: 'jwt' }],
    ['typ at+jwt', { typ: 'at+jwt' }],
    ['typ application/at+jwt', { typ: 'application/at+jwt' }],
    ['typ application/JWT', { typ: 'application/JWT' }],
    ['an iat within the skew allowance', { iat: now() + 3 }],
    ['an iat an hour ago', { iat: now() - 3600 }],
    ['two audiences, one of them ours (OpenID allows it)', { aud: ['countersign', 'other'] }],
  ])('accepts %s', async (_case, claims) => {
    await expect(verifier().verify(await token(claims))).resolves.toMatchObject({
      id: 'corp:alice',
    });
  });

  it.each<[string, Claims]>([
    ['typ dpop+jwt', { typ: 'dpop+jwt' }],
    ['typ secevent+jwt', { typ: 'secevent+jwt' }],
    ['typ logout+jwt', { typ: 'logout+jwt' }],
    ['typ JOSE', { typ: 'JOSE' }],
    ['typ JWS', { typ: 'JWS' }],
    ['typ id_token', { typ: 'id_token' }],
    ['an empty typ', { typ: '' }],
    ['an iat an hour in the future, no nbf', { iat: now() + 3600 }],
    [
      'an iat a minute in the future, with an nbf in the past',
      { iat: now() + 60, nbf: now() - 60 },
    ],
    ['an ID token: aud is the web clientId', { aud: 'countersign-web' }],
  ])('refuses %s with a generic 401', async (_case, claims) => {
    const refused = verifier().verify(await token(claims));
    await expect(refused).rejects.toMatchObject({
      code: 'unauthenticated',
      message: 'invalid token',
    });
  });
});
