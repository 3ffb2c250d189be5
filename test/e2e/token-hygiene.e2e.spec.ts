import type { INestApplication } from '@nestjs/common';
import type { JWK } from 'jose';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#access';
import { ConfigError, parseConfig } from '#config';
import { KeyCipher } from '#credentials';
import { SigningKeyRow } from '#persistence';
import { createBroker } from '../../apps/broker/src/bootstrap.js';
import { auditTrail } from '../support/audit.js';
import type { TestBroker, UserName } from '../support/broker.js';
import { TEST_ENCRYPTION_KEY, USERS, startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import { as, mintQuickGrant } from '../support/flow.js';
import type { MintedGrant } from '../support/flow.js';
import {
  decodePart,
  expectError,
  flipSignatureBit,
  verifyIndependently,
} from '../support/jwt-tools.js';
import { SvidIssuer } from '../support/svid-issuer.js';
import { TestIssuer } from '../support/test-issuer.js';

const WEB_CLIENT_ID = 'countersign-web';
const WORKLOAD = 'ns/ci/sa/deployer';

/** The test config plus a SPIFFE trust domain and web sign-in through `corp`. */
function hygieneYaml(issuer: TestIssuer, spire: SvidIssuer, clientId = WEB_CLIENT_ID): string {
  return testConfigYaml(issuer).replace(
    '      groupsClaim: groups\n',
    `      groupsClaim: groups
    - name: spire
      kind: spiffe
      trustDomain: ${spire.trustDomain}
      jwksUri: ${spire.bundleUri}
      audience: countersign
  web:
    issuer: corp
    clientId: ${clientId}
`,
  );
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe.each(DATABASE_KINDS)('token hygiene on %s', (kind) => {
  let issuer: TestIssuer;
  let spire: SvidIssuer;
  let broker: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    spire = await SvidIssuer.start('example.org');
    broker = await startBroker({ kind, issuer, yaml: hygieneYaml(issuer, spire) });
  });

  afterAll(async () => {
    await broker?.close();
    await Promise.all([issuer?.close(), spire?.close()]);
  });

  const rolesWith = (token: string) =>
    broker.http.get('/v1/roles').set('authorization', `Bearer ${token}`);

  it.each<[string, () => Promise<string>]>([
    ['a plain token', () => issuer.token('alice', { groups: ['engineering'] })],
    ['a token without typ', () => issuer.token('alice', { typ: null })],
    ['an access token (typ at+jwt)', () => issuer.token('alice', { typ: 'at+jwt' })],
    ['typ application/AT+JWT', () => issuer.token('alice', { typ: 'application/AT+JWT' })],
    ['a JWT-SVID', () => spire.svid(spire.id(WORKLOAD))],
    [
      'a JWT-SVID naming us alone in an array',
      () => spire.svid(spire.id(WORKLOAD), { audience: ['countersign'] }),
    ],
  ])('accepts %s on a normal API call', async (_case, make) => {
    await rolesWith(await make()).expect(200);
  });

  const refused: [string, () => Promise<string>][] = [
    [
      'a JWT-SVID with two audiences (ours and another service)',
      () => spire.svid(spire.id(WORKLOAD), { audience: ['countersign', 'payments'] }),
    ],
    [
      'a token issued an hour in the future, with no nbf',
      () => issuer.token('alice', { issuedAt: nowSeconds() + 3600 }),
    ],
    [
      'a JWT-SVID issued an hour in the future',
      () => spire.svid(spire.id(WORKLOAD), { issuedAt: nowSeconds() + 3600 }),
    ],
    ['a DPoP proof (typ dpop+jwt)', () => issuer.token('alice', { typ: 'dpop+jwt' })],
    ['a logout token (typ logout+jwt)', () => issuer.token('alice', { typ: 'logout+jwt' })],
    [
      'a security event token (typ secevent+jwt)',
      () => issuer.token('alice', { typ: 'secevent+jwt' }),
    ],
    ['typ JOSE', () => issuer.token('alice', { typ: 'JOSE' })],
    ['a JWT-SVID with typ JOSE', () => spire.svid(spire.id(WORKLOAD), { typ: 'JOSE' })],
    [
      'an ID token of the web sign-in (aud is its clientId)',
      () =>
        issuer.token('dave', {
          audience: WEB_CLIENT_ID,
          groups: ['security'],
          claims: { nonce: 'n-0S6_WzA2Mj', azp: WEB_CLIENT_ID, auth_time: nowSeconds() },
        }),
    ],
  ];

  it.each(refused)('answers 401 to %s, as to a forged signature', async (_case, make) => {
    const token = await make();
    const res = await rolesWith(token);
    expectError(res, 401, 'unauthenticated');
    // The same words as a bad signature: nothing tells a forger which check failed.
    const forged = await rolesWith(flipSignatureBit(await issuer.token('alice')));
    expect(res.body).toEqual(forged.body);
    const created = await broker.http
      .post('/v1/requests')
      .set('authorization', `Bearer ${token}`)
      .send({ role: 'prod-db-admin', justification: 'INC-7' });
    expectError(created, 401, 'unauthenticated');
  });

  it('refuses at load a config whose API audience is the web clientId', () => {
    const env = { COUNTERSIGN_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, TEST_QUEUE_PREFIX: 'unused' };
    const load = () => parseConfig(hygieneYaml(issuer, spire, 'countersign'), env);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^auth\.issuers\[0\]\.audience: equals auth\.web\.clientId/);
  });
});

/**
 * A broker first started without COUNTERSIGN_ENCRYPTION_KEY (as the demo config allows: the demo
 * flag on the test config, with the `demo` issuer demo mode needs) stores its signing key in the
 * clear. Restarted with a key, it seals it in place, keeps signing with it, and says so once.
 */
describe.each(DATABASE_KINDS)('a signing key stored unencrypted, on %s', (kind) => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let minted: MintedGrant;
  let plainRow: SigningKeyRow;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    database = await freshDatabase(kind);
    const demo = await startDemoStyle(issuer, database);
    try {
      minted = await mintQuickGrant(demo, '10m');
      const rows = await keyRows(demo.app);
      expect(rows.map((row) => row.encrypted)).toEqual([false]);
      plainRow = rows[0];
      expect(JSON.parse(plainRow.privateKey)).toMatchObject({ d: expect.any(String) });
    } finally {
      await demo.close();
    }
  });

  afterAll(async () => {
    await database?.drop();
    await issuer?.close();
  });

  it('is encrypted in place at the next start with a key, and still verifies what it signed', async () => {
    const broker = await startBroker({ kind, issuer, database });
    try {
      const rows = await keyRows(broker.app);
      expect(rows.map((row) => [row.kid, row.encrypted])).toEqual([[plainRow.kid, true]]);
      const { d } = JSON.parse(plainRow.privateKey) as { d: string };
      expect(rows[0].privateKey).not.toContain(d);
      expect(rows[0].privateKey.startsWith('v1.')).toBe(true);
      const cipher = new KeyCipher(Buffer.from(TEST_ENCRYPTION_KEY, 'base64'));
      expect(cipher.open(rows[0].privateKey, true, plainRow.kid)).toBe(plainRow.privateKey);

      // What the plaintext key signed still verifies, and the same key signs on.
      const jwks = (await broker.http.get('/.well-known/jwks.json').expect(200)).body as {
        keys: JWK[];
      };
      expect(verifyIndependently(minted.token, jwks).header.kid).toBe(plainRow.kid);
      const old = await (
        await as(broker, 'bob')
      )
        .post('/v1/introspect', { token: minted.token })
        .expect(200);
      expect(old.body).toMatchObject({ active: true, jti: minted.grantId });
      const fresh = await mintQuickGrant(broker, '1m');
      expect(decodePart<{ kid: string }>(fresh.token.split('.')[0]).kid).toBe(plainRow.kid);

      const events = await auditTrail(broker, { type: 'key.encrypted' });
      // The log key, also created in the clear by the demo-style run, is sealed alongside.
      expect(events.map((e) => [e.actor, e.data])).toEqual([
        ['system', { kid: plainRow.kid }],
        ['system', { purpose: 'log', keyId: expect.any(String) }],
      ]);
      expect(JSON.stringify(events)).not.toContain(d);
    } finally {
      await broker.close();
    }
  });

  it('is sealed once: a further restart changes nothing and records nothing', async () => {
    const broker = await startBroker({ kind, issuer, database });
    try {
      const rows = await keyRows(broker.app);
      expect(rows.map((row) => [row.kid, row.encrypted])).toEqual([[plainRow.kid, true]]);
      expect(await auditTrail(broker, { type: 'key.encrypted' })).toHaveLength(2);
      const verified = await (await as(broker, 'dave')).get('/v1/audit/verify').expect(200);
      expect(verified.body).toMatchObject({ ok: true });
    } finally {
      await broker.close();
    }
  });
});

function keyRows(app: INestApplication): Promise<SigningKeyRow[]> {
  return app.get<DataSource>(DATA_SOURCE).manager.find(SigningKeyRow, { order: { kid: 'ASC' } });
}

/** The test config run as demo mode runs: no encryption key, so keys are stored in the clear. */
async function startDemoStyle(issuer: TestIssuer, database: FreshDatabase): Promise<TestBroker> {
  const yaml = testConfigYaml(issuer).replace(
    '      groupsClaim: groups\n',
    `      groupsClaim: groups
    - name: demo
      issuer: http://127.0.0.1:3999/demo
      jwksUri: http://127.0.0.1:3999/demo/jwks.json
      audience: countersign
`,
  );
  // No REDIS_URL: a demo install schedules revocations in-process.
  const env = { DATABASE_URL: database.url, TEST_QUEUE_PREFIX: database.queuePrefix };
  const config = parseConfig(yaml, env, { demo: true });
  expect(config.encryptionKey).toBeUndefined();
  const app = await createBroker(config, { logLevel: 'silent', backgroundJobs: false });
  await app.init();
  return {
    app,
    config,
    http: request(app.getHttpServer()),
    token: (user, groups) => {
      const known = USERS[user as UserName] as
        { sub: string; groups: readonly string[] } | undefined;
      return issuer.token(known?.sub ?? user, { groups: [...(groups ?? known?.groups ?? [])] });
    },
    close: () => app.close(),
  };
}
