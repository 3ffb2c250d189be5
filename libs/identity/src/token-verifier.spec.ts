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

describe('TokenVerifier: verified tokens remembered', () => {
  it('looks the directory up on every use of a remembered token', async () => {
    let directoryGroups: string[] = [];
    const verifier = new TokenVerifier([issuer], () => directoryGroups);
    const alice = await token();
    await expect(verifier.verify(alice)).resolves.toMatchObject({ groups: [] });
    directoryGroups = ['security'];
    await expect(verifier.verify(alice)).resolves.toMatchObject({ groups: ['security'] });
    directoryGroups = [];
    await expect(verifier.verify(alice)).resolves.toMatchObject({ groups: [] });
  });

  it('refuses a token whose signature was altered after the genuine one was remembered', async () => {
    const verifier = new TokenVerifier([issuer], () => []);
    const genuine = await token();
    await verifier.verify(genuine);
    const [header, payload, signature] = genuine.split('.');
    const flipped = signature[5] === 'A' ? 'B' : 'A';
    const forged = `${header}.${payload}.${signature.slice(0, 5)}${flipped}${signature.slice(6)}`;
    await expect(verifier.verify(forged)).rejects.toMatchObject({ message: 'invalid token' });
    await expect(verifier.verify(genuine)).resolves.toMatchObject({ id: 'corp:alice' });
  });

  it('refuses a refused token again: refusals are not remembered', async () => {
    const verifier = new TokenVerifier([issuer], () => []);
    const futureIat = await token({ iat: now() + 3600 });
    for (let i = 0; i < 2; i++) {
      await expect(verifier.verify(futureIat)).rejects.toMatchObject({ message: 'invalid token' });
    }
  });

  it('hands out principals a caller cannot use to change what is remembered', async () => {
    const verifier = new TokenVerifier([{ ...issuer, groupsClaim: 'groups' }], () => []);
    const withGroups = await new SignJWT({ groups: ['engineering'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'JWT' })
      .setIssuer(issuer.issuer)
      .setAudience('countersign')
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime(now() + 7200)
      .sign(privateKey);
    const first = await verifier.verify(withGroups);
    (first.tokenGroups as string[]).push('security');
    (first.groups as string[]).push('security');
    await expect(verifier.verify(withGroups)).resolves.toStrictEqual({
      id: 'corp:alice',
      groups: ['engineering'],
      tokenGroups: ['engineering'],
      tokenGroupsKnown: true,
    });
  });
});
