import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CryptoKey, JWK } from 'jose';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { BundleFile, jwtSvidKeys } from './jwt-svid-bundle.js';
import { WorkloadVerifier } from './workload-verifier.js';

const WORKLOAD = 'spiffe://example.org/ns/ci/sa/deployer';

interface Key {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function key(kid: string): Promise<Key> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } };
}

interface SvidClaims {
  sub?: string;
  aud?: string | string[];
  exp?: string;
  /** Seconds from now. */
  iat?: number;
  /** null: no typ header at all. */
  typ?: string | null;
}

function svid(signer: Key, claims: SvidClaims = {}) {
  const typ = claims.typ === null ? {} : { typ: claims.typ ?? 'JWT' };
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: signer.jwk.kid, ...typ })
    .setAudience(claims.aud ?? 'countersign')
    .setExpirationTime(claims.exp ?? '5m')
    .setIssuedAt(Math.floor(Date.now() / 1000) + (claims.iat ?? 0));
  if (claims.sub !== '') jwt.setSubject(claims.sub ?? WORKLOAD);
  return jwt.sign(signer.privateKey);
}

describe('jwtSvidKeys', () => {
  it('keeps jwt-svid and plain keys, without `use`, and drops X.509 authorities', () => {
    const bundle = {
      spiffe_sequence: 3,
      keys: [
        { kty: 'EC', kid: 'a', use: 'jwt-svid' },
        { kty: 'EC', kid: 'b', use: 'x509-svid', x5c: ['MII...'] },
        { kty: 'EC', kid: 'c', use: 'sig' },
        { kty: 'EC', kid: 'd' },
        { kty: 'EC', kid: 'e', use: 'enc' },
      ],
    };
    expect(jwtSvidKeys(bundle)).toEqual({
      keys: [
        { kty: 'EC', kid: 'a' },
        { kty: 'EC', kid: 'c' },
        { kty: 'EC', kid: 'd' },
      ],
    });
  });

  it.each([null, {}, { keys: 'x' }, []])('refuses %p', (bundle) => {
    expect(() => jwtSvidKeys(bundle)).toThrow('a SPIFFE bundle is a JWKS');
  });
});

describe('WorkloadVerifier with a bundle file', () => {
  let dir: string;
  let file: string;
  let trusted: Key;
  let other: Key;

  const writeBundle = (...keys: Key[]) =>
    writeFileSync(file, JSON.stringify({ keys: keys.map((k) => ({ ...k.jwk, use: 'jwt-svid' })) }));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    file = join(dir, 'bundle.json');
    trusted = await key('trusted');
    other = await key('other');
    writeBundle(trusted);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const verifier = () =>
    new WorkloadVerifier(
      { name: 'workloads', trustDomain: 'example.org', bundleFile: file, audience: 'countersign' },
      (id) => (id === `spiffe:${WORKLOAD}` ? ['deployers'] : []),
    );

  it('names the workload spiffe:<SPIFFE ID>, with its directory groups', async () => {
    await expect(verifier().verify(await svid(trusted))).resolves.toEqual({
      id: `spiffe:${WORKLOAD}`,
      groups: ['deployers'],
      tokenGroups: [],
      tokenGroupsKnown: true,
    });
  });

  it.each<[string, () => Promise<string>]>([
    ['another trust domain', () => svid(trusted, { sub: 'spiffe://other.org/w' })],
    ['a sub that is not a SPIFFE ID', () => svid(trusted, { sub: 'deployer' })],
    ['a bare trust domain', () => svid(trusted, { sub: 'spiffe://example.org' })],
    ['no sub', () => svid(trusted, { sub: '' })],
    ['another audience', () => svid(trusted, { aud: 'someone-else' })],
    ['an expired SVID', () => svid(trusted, { exp: '-1m' })],
    ['a key outside the bundle', () => svid(other)],
    ['two audiences, one of them ours', () => svid(trusted, { aud: ['countersign', 'other'] })],
    ['our audience twice', () => svid(trusted, { aud: ['countersign', 'countersign'] })],
    ['an iat an hour in the future', () => svid(trusted, { iat: 3600 })],
    ['an iat just beyond the skew allowance', () => svid(trusted, { iat: 30 })],
    ['typ JOSE', () => svid(trusted, { typ: 'JOSE' })],
    ['typ dpop+jwt', () => svid(trusted, { typ: 'dpop+jwt' })],
    ['typ secevent+jwt', () => svid(trusted, { typ: 'secevent+jwt' })],
  ])('refuses %s', async (_case, make) => {
    await expect(verifier().verify(await make())).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  it.each<[string, SvidClaims]>([
    ['no typ', { typ: null }],
    ['typ jwt', { typ: 'jwt' }],
    ['typ application/at+jwt', { typ: 'application/at+jwt' }],
    ['our audience alone in an array', { aud: ['countersign'] }],
    ['an iat within the skew allowance', { iat: 3 }],
  ])('accepts %s', async (_case, claims) => {
    await expect(verifier().verify(await svid(trusted, claims))).resolves.toMatchObject({
      id: `spiffe:${WORKLOAD}`,
    });
  });

  it('refuses an HMAC-signed token', async () => {
    const hmac = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(WORKLOAD)
      .setAudience('countersign')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a-shared-secret-of-enough-length!!'));
    await expect(verifier().verify(hmac)).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it('stops start-up on an unreadable bundle file', () => {
    expect(
      () =>
        new WorkloadVerifier(
          {
            name: 'w',
            trustDomain: 'example.org',
            bundleFile: join(dir, 'missing.json'),
            audience: 'a',
          },
          () => [],
        ),
    ).toThrow('auth.issuers "w": cannot read bundleFile');
  });

  it('picks up a rewritten bundle when its modification time changes', async () => {
    const bundle = new BundleFile(file, 0);
    const header = { alg: 'ES256', kid: 'other' };
    await expect(bundle.getKey(header, { payload: '', signature: '' })).rejects.toThrow();
    writeBundle(trusted, other);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    await expect(bundle.getKey(header, { payload: '', signature: '' })).resolves.toBeDefined();
    writeBundle(trusted);
  });
});
