import type { JWK } from 'jose';
import type { TestBroker } from '../support/broker.js';
import { startBroker } from '../support/broker.js';
import { auditHead, auditTrail } from '../support/audit.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as, mintQuickGrant } from '../support/flow.js';
import {
  decodePart,
  expectError,
  failingFields,
  verifyIndependently,
} from '../support/jwt-tools.js';
import { TestIssuer } from '../support/test-issuer.js';

type Jwks = { keys: JWK[] };

describe.each(DATABASE_KINDS)('POST /v1/keys/rotate on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind, issuer });
  });

  afterAll(async () => {
    await broker.close();
    await issuer.close();
  });

  const kids = async () => {
    const jwks = (await broker.http.get('/.well-known/jwks.json').expect(200)).body as Jwks;
    return { jwks, kids: jwks.keys.map((key) => key.kid).sort() };
  };
  const kidOf = (token: string) => decodePart<{ kid: string }>(token.split('.')[0]).kid;

  it('refuses everyone but admins, as the audit routes do, and audits the refusal', async () => {
    const before = await kids();
    const since = await auditHead(broker);
    for (const user of ['alice', 'mallory', 'bob']) {
      const refused = await (await as(broker, user)).post('/v1/keys/rotate');
      expectError(refused, 403, 'forbidden');
      expect(refused.body).toMatchObject({ reason: 'not_admin' });
      // The same answer as the admin-only audit log gives this principal.
      const audit = await (await as(broker, user)).get('/v1/audit');
      expect([refused.status, refused.body.error]).toEqual([audit.status, audit.body.error]);
    }
    const unknownField = await (await as(broker, 'dave')).post('/v1/keys/rotate', { force: true });
    expectError(unknownField, 400, 'invalid_request');
    expect(failingFields(unknownField)).toEqual(['force']);
    expect((await kids()).kids).toEqual(before.kids);

    const events = await auditTrail(broker, { cursor: since });
    expect(events.filter((e) => e.type === 'key.rotated')).toEqual([]);
    expect(
      events
        .filter((e) => e.type === 'policy.evaluated' && e.data.action === 'key.rotate')
        .map((e) => [e.actor, e.data.decision, e.data.reason]),
    ).toEqual([
      ['corp:alice', 'deny', 'not_admin'],
      ['corp:mallory', 'deny', 'not_admin'],
      ['corp:bob', 'deny', 'not_admin'],
    ]);
  });

  it('lets an admin rotate: new kid published, old kept, old credentials still verify', async () => {
    const minted = await mintQuickGrant(broker, '5m');
    const oldKid = kidOf(minted.token);
    expect((await kids()).kids).toEqual([oldKid]);
    const since = await auditHead(broker);

    const rotated = await (await as(broker, 'dave')).post('/v1/keys/rotate', {}).expect(200);
    // The longest role maxExtendedDuration of the test config: prod-db-admin's two hours.
    expect(rotated.body).toEqual({
      kid: expect.any(String),
      retired: [oldKid],
      publishedFor: 7200,
    });
    const newKid = rotated.body.kid as string;
    expect(newKid).not.toBe(oldKid);

    // At once on this broker: rotating cleared its key cache.
    const after = await kids();
    expect(after.kids).toEqual([oldKid, newKid].sort());
    verifyIndependently(minted.token, after.jwks);
    const bob = await as(broker, 'bob');
    const old = await bob.post('/v1/introspect', { token: minted.token }).expect(200);
    expect(old.body).toMatchObject({ active: true, jti: minted.grantId });

    const fresh = await mintQuickGrant(broker, '5m');
    expect(kidOf(fresh.token)).toBe(newKid);
    expect(verifyIndependently(fresh.token, after.jwks).header.kid).toBe(newKid);

    const events = await auditTrail(broker, { cursor: since, type: 'key.rotated' });
    expect(events).toEqual([
      expect.objectContaining({
        actor: 'corp:dave',
        data: { kid: newKid, retired: [oldKid], publishedForSeconds: 7200 },
      }),
    ]);
    const verified = await (await as(broker, 'dave')).get('/v1/audit/verify').expect(200);
    expect(verified.body).toMatchObject({ ok: true });
  });

  it('needs a token', async () => {
    expectError(await broker.http.post('/v1/keys/rotate').send({}), 401, 'unauthenticated');
  });
});
