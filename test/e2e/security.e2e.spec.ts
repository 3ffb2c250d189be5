import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { DataSource } from 'typeorm';
import { rotateKeys } from '../../apps/broker/src/keys-rotate.js';
import { auditHead, auditTrail } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import type { ChainEvent, TrackedClient } from '../support/jwt-tools.js';
import * as jwt from '../support/jwt-tools.js';
import { expectError, failingFields, trackedClient } from '../support/jwt-tools.js';
import { TestIssuer } from '../support/test-issuer.js';
import { tamperWithAuditLog } from '../support/tamper.js';
import { b64, eventLeaf, merkleRoot } from '../support/independent-log.js';

const RESOURCE = 'postgres://prod/payments';
const ENGINEERING = ['engineering'];
type Jwks = { keys: JWK[] };

describe.each(DATABASE_KINDS)('security on %s', (kind) => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let broker: TestBroker;
  /** Every bearer token and every credential this file handles: none may reach the audit log. */
  const bearers = new Set<string>();
  const minted: string[] = [];

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    database = await freshDatabase(kind);
    broker = await startBroker({ kind, issuer, database });
  });

  afterAll(async () => {
    await broker.close();
    await database.drop();
    await issuer.close();
  });

  const as = (user: string, groups?: string[], on = broker) =>
    trackedClient(on, bearers, user, groups);

  async function newRequest(user = 'alice', extra: object = {}, groups?: string[], on = broker) {
    const body = { role: 'prod-db-admin', justification: 'INC-1', ...extra };
    const response = await (await as(user, groups, on)).post('/v1/requests', body).expect(201);
    return response.body as { id: string; createdAt: string; duration: number };
  }

  async function newGrant(user = 'alice', groups?: string[], on = broker, extra: object = {}) {
    const request = await newRequest(user, extra, groups, on);
    await (await as('bob', undefined, on)).post(`/v1/requests/${request.id}/approve`).expect(200);
    const recipient = await as(user, groups, on);
    const body = (await recipient.post(`/v1/requests/${request.id}/credentials`).expect(201))
      .body as { grantId: string; expiresAt: string; credential: { token: string } };
    minted.push(body.credential.token);
    return { request, body, grantId: body.grantId, token: body.credential.token };
  }

  async function auditEvents(dave: TrackedClient): Promise<ChainEvent[]> {
    const events: ChainEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await dave.get(`/v1/audit?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      events.push(...(page.body.items as ChainEvent[]));
      cursor = page.body.nextCursor as string | undefined;
    } while (cursor);
    return events;
  }

  const ids = (response: { body: { items: { id: string }[] } }) =>
    response.body.items.map((item) => item.id);
  const jwksOf = async (on: TestBroker) =>
    (await on.http.get('/.well-known/jwks.json').expect(200)).body as Jwks;

  describe('authentication', () => {
    async function expectUnauthenticated(authorization?: string) {
      const call = broker.http.get('/v1/requests');
      const response = await (authorization ? call.set('authorization', authorization) : call);
      expectError(response, 401, 'unauthenticated');
      expect(Object.keys(response.body).sort()).toEqual(['error', 'message']);
    }

    it('accepts a valid token from the trusted issuer', async () => {
      const response = await (await as('alice')).get('/v1/requests').expect(200);
      expect(response.body).toEqual({ items: expect.any(Array) });
      // The hand-made claims below are right: only what each forgery changes can make it fail.
      const handMade = await jwt.signAsIssuer(issuer, claims());
      bearers.add(handMade);
      await broker.http.get('/v1/requests').set('authorization', `Bearer ${handMade}`).expect(200);
    });

    it('refuses a call without a bearer token', async () => {
      await expectUnauthenticated();
      await expectUnauthenticated('Basic YWxpY2U6c2VjcmV0');
      await expectUnauthenticated('Bearer ');
    });

    const claims = (sub = 'alice') => jwt.claimsFor(issuer, sub, ENGINEERING);
    const publicX = () => Buffer.from(issuer.publicJwk.x!, 'base64url');
    const forgeries: [string, () => string | Promise<string>][] = [
      ['alg none', () => jwt.unsignedToken(claims())],
      ['HS256 keyed with the public key bytes', () => jwt.hmacToken(claims(), publicX())],
      [
        'HS256 keyed with the public JWK',
        () => jwt.hmacToken(claims(), JSON.stringify(issuer.publicJwk)),
      ],
      ['a key the JWKS does not publish', () => issuer.token('alice', { unknownKey: true })],
      [
        'an expired token',
        () => issuer.token('alice', { expiresIn: Math.floor(Date.now() / 1000) - 3600 }),
      ],
      ['another audience', () => issuer.token('alice', { audience: 'someone-else' })],
      ['garbage', () => 'not-a-jwt'],
      ['three garbage segments', () => 'a.b.c'],
      ['a token without sub', () => jwt.signAsIssuer(issuer, { ...claims(), sub: undefined })],
      ['a token with an empty sub', () => issuer.token('')],
    ];
    it.each(forgeries)('refuses %s', async (_name, make) => {
      const token = await make();
      bearers.add(token);
      await expectUnauthenticated(`Bearer ${token}`);
    });

    it('refuses an untrusted issuer, also when it claims the trusted iss and kid', async () => {
      const stranger = await TestIssuer.start();
      try {
        for (const token of [
          await stranger.token('alice'),
          await stranger.token('alice', { issuer: issuer.url }),
        ]) {
          bearers.add(token);
          await expectUnauthenticated(`Bearer ${token}`);
        }
      } finally {
        await stranger.close();
      }
    });
  });

  describe('visibility', () => {
    it("answers mallory about alice's request and grant exactly as about ids that do not exist", async () => {
      const pending = await newRequest('alice');
      const { grantId } = await newGrant('alice');
      const mallory = await as('mallory');
      const probes: [string, string, string, object?][] = [
        ['request', pending.id, ''],
        ['request', pending.id, '/approve', {}],
        ['request', pending.id, '/deny', { reason: 'no' }],
        ['request', pending.id, '/cancel', {}],
        ['request', pending.id, '/credentials', {}],
        ['grant', grantId, ''],
        ['grant', grantId, '/revoke', { reason: 'mine now' }],
      ];
      for (const [what, realId, suffix, body] of probes) {
        const answer = async (id: string) => {
          const path = `/v1/${what}s/${id}${suffix}`;
          const r = await (body ? mallory.post(path, body) : mallory.get(path));
          return { status: r.status, type: r.headers['content-type'], text: r.text };
        };
        const real = await answer(realId);
        expect(real.status).toBe(404);
        expect(JSON.parse(real.text)).toEqual({ error: 'not_found', message: `${what} not found` });
        expect(await answer(randomUUID())).toEqual(real);
        expect(await answer('not-a-uuid')).toEqual(real);
      }
      const alice = await as('alice');
      const request = await alice.get(`/v1/requests/${pending.id}`).expect(200);
      expect(request.body).toMatchObject({ status: 'pending', approvals: [] });
      const grant = await alice.get(`/v1/grants/${grantId}`).expect(200);
      expect(grant.body).toMatchObject({ status: 'active' });
      for (const path of [
        '/v1/requests',
        '/v1/requests?toApprove=true',
        '/v1/requests?mine=true',
        '/v1/grants',
      ]) {
        expect((await mallory.get(path).expect(200)).body).toEqual({ items: [] });
      }
    });

    it('lists a pending request for its approver until he approves, and for its requester under mine', async () => {
      const request = await newRequest('alice');
      const bob = await as('bob');
      const toApprove = async () => ids(await bob.get('/v1/requests?toApprove=true&limit=200'));
      expect(await toApprove()).toContain(request.id);
      await bob.get(`/v1/requests/${request.id}`).expect(200);
      await bob.post(`/v1/requests/${request.id}/approve`).expect(200);
      expect(await toApprove()).not.toContain(request.id);

      const mine = await (await as('alice')).get('/v1/requests?mine=true&limit=200').expect(200);
      expect(ids(mine)).toContain(request.id);
      for (const item of mine.body.items)
        expect([item.requester, item.recipient]).toContain('corp:alice');
      expect(ids(await bob.get('/v1/requests?mine=true&limit=200'))).not.toContain(request.id);
    });

    it('shows admins every grant and everyone else only their own', async () => {
      const alices = await newGrant('alice');
      const ginas = await newGrant('gina', ENGINEERING);
      const dave = await as('dave');
      const all = ids(await dave.get('/v1/grants?limit=200'));
      expect(all).toEqual(expect.arrayContaining([alices.grantId, ginas.grantId]));
      await dave.get(`/v1/grants/${ginas.grantId}`).expect(200);

      const alice = await as('alice');
      const own = await alice.get('/v1/grants?limit=200').expect(200);
      expect(ids(own)).toContain(alices.grantId);
      const recipients = (own.body.items as { recipient: string }[]).map((g) => g.recipient);
      expect(new Set(recipients)).toEqual(new Set(['corp:alice']));
      expectError(await alice.get(`/v1/grants/${ginas.grantId}`), 404, 'not_found');
      expect(ids(await (await as('gina', ENGINEERING)).get('/v1/grants'))).toEqual([ginas.grantId]);
    });

    it('lets only admins read and verify the audit log', async () => {
      for (const user of ['alice', 'bob', 'mallory']) {
        const client = await as(user);
        for (const path of ['/v1/audit', '/v1/audit/verify']) {
          expectError(await client.get(path), 403, 'forbidden');
        }
      }
      const dave = await as('dave');
      await dave.get('/v1/audit').expect(200);
      await dave.get('/v1/audit/verify').expect(200);
    });

    it('audits every admin-only refusal one way: a denying policy.evaluated, then the refusal', async () => {
      const since = await auditHead(broker);
      const alice = await as('alice');
      const refusals = [
        await alice.get('/v1/audit'),
        await alice.get('/v1/audit/verify'),
        await alice.post('/v1/keys/rotate'),
        await alice.post('/v1/policy/reload'),
        await alice.post('/v1/service-accounts', { name: 'mine', owner: 'corp:alice' }),
      ];
      const answer = (r: { status: number; body: { error?: string; reason?: string } }) => [
        r.status,
        r.body.error,
        r.body.reason,
      ];
      expect(refusals.map(answer)).toEqual(refusals.map(() => [403, 'forbidden', 'not_admin']));
      const events = await auditTrail(broker, { cursor: since, actor: 'corp:alice' });
      expect(
        events.map((e) => [e.type, e.data.action, e.data.rule ?? e.data.code, e.data.reason]),
      ).toEqual([
        ['policy.evaluated', 'audit.read', 'admins', 'not_admin'],
        ['audit.refused', 'audit.read', 'forbidden', 'not_admin'],
        ['policy.evaluated', 'audit.verify', 'admins', 'not_admin'],
        ['audit.refused', 'audit.verify', 'forbidden', 'not_admin'],
        ['policy.evaluated', 'key.rotate', 'admins', 'not_admin'],
        ['key.refused', 'key.rotate', 'forbidden', 'not_admin'],
        ['policy.evaluated', 'policy.reload', 'admins', 'not_admin'],
        ['policy.refused', 'reload', 'forbidden', 'not_admin'],
        ['policy.evaluated', 'service_account.create', 'admins', 'not_admin'],
        ['service_account.refused', 'create', 'forbidden', 'not_admin'],
      ]);
    });

    it('pages a list newest first through nextCursor, without duplicates', async () => {
      const created = [];
      for (let i = 0; i < 5; i += 1) {
        created.push(await newRequest('paige', { justification: `page ${i}` }, ENGINEERING));
      }
      const newestFirst = created
        .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1))
        .map((request) => request.id);

      const paige = await as('paige', ENGINEERING);
      const pages: { items: { id: string }[]; nextCursor?: string }[] = [];
      let cursor: string | undefined;
      do {
        const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page = (await paige.get(`/v1/requests?mine=true&limit=2${after}`).expect(200)).body;
        pages.push(page);
        cursor = page.nextCursor;
      } while (cursor && pages.length < 10);
      expect(pages.map((page) => page.items.length)).toEqual([2, 2, 1]);
      expect(pages.map((page) => typeof page.nextCursor)).toEqual([
        'string',
        'string',
        'undefined',
      ]);
      expect('nextCursor' in pages[2]).toBe(false);
      expect(pages.flatMap((page) => page.items.map((item) => item.id))).toEqual(newestFirst);

      expectError(await paige.get('/v1/requests?limit=201'), 400, 'invalid_request');
      await paige.get('/v1/requests?limit=200').expect(200);
      // A cursor that is not one of ours is refused rather than silently restarting at page 1.
      expectError(await paige.get('/v1/requests?cursor=not-a-cursor'), 400, 'invalid_request');
      expectError(await paige.get('/v1/grants?cursor=bm9wZQ'), 400, 'invalid_request');
    });
  });

  describe('HTTP contract', () => {
    it('rejects unknown fields naming them, malformed JSON, and bodies over 1 MB', async () => {
      const alice = await as('alice');
      const unknown = await alice.post('/v1/requests', {
        role: 'prod-db-admin',
        justification: 'x',
        bogus: 1,
      });
      expectError(unknown, 400, 'invalid_request');
      expect(failingFields(unknown)).toEqual(['bogus']);
      expect(unknown.body.message).toContain('bogus');

      const malformed = await alice.raw('/v1/requests', '{"role": "prod-db-admin",');
      expectError(malformed, 400, 'invalid_request');

      const justification = 'x'.repeat(1024 * 1024 + 1);
      const huge = await alice.post('/v1/requests', { role: 'prod-db-admin', justification });
      expectError(huge, 413, 'payload_too_large');
    });

    it('accepts durations as 90s, PT15M or seconds and reflects them in seconds', async () => {
      const forms: [string | number, number][] = [
        ['90s', 90],
        ['PT15M', 900],
        [600, 600],
      ];
      for (const [duration, seconds] of forms) {
        expect((await newRequest('alice', { duration })).duration).toBe(seconds);
      }
      const body = { role: 'prod-db-admin', justification: 'x', duration: '15 minutes' };
      const bad = await (await as('alice')).post('/v1/requests', body);
      expectError(bad, 400, 'invalid_request');
      expect(failingFields(bad)).toEqual(['duration']);
    });

    it('never shows a stack trace or a source path in an error body', async () => {
      const alice = await as('alice');
      const dave = await as('dave');
      const probes: [Promise<{ status: number; text: string }>, number][] = [
        [dave.get('/v1/audit?cursor=not-a-cursor'), 400],
        [dave.get('/v1/audit?since=yesterday'), 400],
        [alice.get('/v1/requests?limit=abc'), 400],
        [alice.get('/v1/requests?status=pending&status=denied'), 400],
        [alice.get('/v1/requests?nonsense=1'), 400],
        [alice.raw('/v1/requests', '{"role": '), 400],
        [alice.raw('/v1/requests', '"just a string"'), 400],
        [alice.raw('/v1/requests', '[1, 2, 3]'), 400],
        // An unknown role is answered as a role one may not request (no role enumeration).
        [alice.post('/v1/requests', { role: 'no-such-role', justification: 'x' }), 403],
        [
          alice.post('/v1/requests', { role: 'prod-db-admin', justification: 'x', duration: '2h' }),
          400,
        ],
        [alice.post('/v1/introspect', { token: 42 }), 400],
        [alice.get('/v1/no-such-route'), 404],
        [alice.get(`/v1/requests/${randomUUID()}`), 404],
        [broker.http.get('/v1/requests').set('authorization', 'Bearer a.b.c'), 401],
        [alice.get('/v1/audit'), 403],
      ];
      for (const [probe, status] of probes) {
        const expected = { status, error: 'string', message: 'string', leaks: false };
        expect(jwt.errorShape(await probe)).toEqual(expected);
      }
      // A request-list cursor that decodes to nothing: a 4xx, never a 500; it must leak nothing.
      const badCursor = await alice.get('/v1/requests?cursor=%25%25not-base64');
      expect(badCursor.status).toBeLessThan(500);
      expect(jwt.leaksInternals(badCursor.text)).toBe(false);
    });

    it('rate-limits each principal separately, with Retry-After', async () => {
      const yaml = testConfigYaml(issuer).replace('perMinute: 0', 'perMinute: 3');
      expect(yaml).toContain('perMinute: 3');
      const limited = await startBroker({ kind, issuer, yaml });
      try {
        const alice = await as('alice', undefined, limited);
        for (let i = 0; i < 3; i += 1) await alice.get('/v1/requests').expect(200);
        const refused = await alice.get('/v1/requests');
        expectError(refused, 429, 'rate_limited');
        expect(refused.headers['retry-after']).toMatch(/^\d+$/);
        const retryAfter = Number(refused.headers['retry-after']);
        expect(retryAfter >= 1 && retryAfter <= 60).toBe(true);
        // A fresh token names the same principal; another principal has its own budget.
        expect((await (await as('alice', undefined, limited)).get('/v1/requests')).status).toBe(
          429,
        );
        await (await as('bob', undefined, limited)).get('/v1/requests').expect(200);
        await limited.http.get('/health/live').expect(200);
      } finally {
        await limited.close();
      }
    });
  });

  describe('credentials', () => {
    it("mints a JWT that verifies independently against the JWKS, with the contract's claims", async () => {
      const grant = await newGrant('alice', undefined, broker, { duration: '20m' });
      expect(grant.body).toEqual({
        grantId: expect.any(String),
        expiresAt: expect.any(String),
        credential: { type: 'jwt', token: grant.token },
      });
      const jwks = await jwksOf(broker);
      for (const key of jwks.keys) expect(Object.keys(key)).not.toContain('d');

      const { header, payload } = jwt.verifyIndependently(grant.token, jwks);
      expect(header).toEqual({
        alg: broker.config.credentials.algorithm,
        kid: expect.any(String),
        typ: 'JWT',
      });
      expect(jwks.keys.map((key) => key.kid)).toContain(header.kid);
      const iat = payload.iat as number;
      expect(payload).toEqual({
        iss: broker.config.credentials.issuer,
        sub: 'corp:alice',
        aud: RESOURCE,
        iat,
        nbf: iat,
        exp: iat + 1200,
        jti: grant.grantId,
        role: 'prod-db-admin',
        scope: 'db:read db:write',
        request_id: grant.request.id,
        approvers: ['corp:bob'],
      });
      expect(Math.abs(iat - Date.now() / 1000)).toBeLessThan(60);
      expect(payload.exp).toBe(Math.floor(Date.parse(grant.body.expiresAt) / 1000));

      const options = { issuer: broker.config.credentials.issuer, audience: RESOURCE };
      const verified = await jwtVerify(grant.token, createLocalJWKSet(jwks), options);
      expect(verified.payload).toEqual(payload);

      const forged = jwt.flipSignatureBit(grant.token);
      expect(() => jwt.verifyIndependently(forged, jwks)).toThrow('signature does not verify');
      const bob = await as('bob');
      const genuine = await bob.post('/v1/introspect', { token: grant.token }).expect(200);
      expect(genuine.body).toMatchObject({ active: true, jti: grant.grantId });
      const refused = await bob.post('/v1/introspect', { token: forged }).expect(200);
      expect(refused.body).toEqual({ active: false });
    });

    it('keeps credentials valid across a key rotation and signs new ones with the new key', async () => {
      const before = await newGrant('alice');
      const oldKid = jwt.decodePart<{ kid: string }>(before.token.split('.')[0]).kid;
      const rotated = await rotateKeys(broker.config);
      expect(rotated.retired).toEqual([oldKid]);
      expect(rotated.kid).not.toBe(oldKid);

      // A new broker on the same database: no wait for the running one's 10 s key cache.
      const restarted = await startBroker({ kind, issuer, database });
      try {
        const jwks = await jwksOf(restarted);
        expect(jwks.keys.map((key) => key.kid).sort()).toEqual([oldKid, rotated.kid].sort());
        jwt.verifyIndependently(before.token, jwks);
        const bob = await as('bob', undefined, restarted);
        const old = await bob.post('/v1/introspect', { token: before.token }).expect(200);
        expect(old.body).toMatchObject({ active: true, jti: before.grantId });

        const after = await newGrant('alice', undefined, restarted);
        expect(jwt.verifyIndependently(after.token, jwks).header.kid).toBe(rotated.kid);
        const fresh = await bob.post('/v1/introspect', { token: after.token }).expect(200);
        expect(fresh.body).toMatchObject({ active: true, jti: after.grantId });
      } finally {
        await restarted.close();
      }
    });
  });

  it('serves health, metrics and JWKS without a token', async () => {
    expect((await broker.http.get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
    const ready = await broker.http.get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    const metrics = await broker.http.get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toContain('countersign_credentials_issued_total');
    // Runs after the credential tests above: the counter has counted them.
    expect(metrics.text).toMatch(
      /^countersign_credentials_issued_total\{role="prod-db-admin"\} [1-9]\d*$/m,
    );
    expect((await jwksOf(broker)).keys.length).toBeGreaterThan(0);
  });

  describe('audit chain', () => {
    it('verifies, agrees with an independent recomputation, and holds no token', async () => {
      const grant = await newGrant('alice');
      await (
        await as('alice')
      )
        .post(`/v1/grants/${grant.grantId}/revoke`, { reason: 'done' })
        .expect(200);
      const dave = await as('dave');
      const events = await auditEvents(dave);
      expect(events.length).toBeGreaterThan(10);
      expect(jwt.firstBrokenLink(events)).toBeUndefined();
      const ofFlow = events.filter((e) => e.requestId === grant.request.id);
      // One event per fact: a policy decision each for request, approval and mint, apart from them.
      expect(ofFlow.map((e) => e.type).sort()).toEqual(
        [
          'request.created',
          'approval.recorded',
          'request.approved',
          'credential.issued',
          'grant.revoked',
        ]
          .concat(Array(3).fill('policy.evaluated'))
          .sort(),
      );
      const verify = await dave.get('/v1/audit/verify').expect(200);
      const leaves = events.map(eventLeaf);
      expect(verify.body).toEqual({
        ok: true,
        events: events.length,
        head: events[events.length - 1].hash,
        rootHash: b64(merkleRoot(leaves)),
        checkpoint: expect.any(Object) as object,
      });
      const { size, rootHash } = (verify.body as { checkpoint: { size: number; rootHash: string } })
        .checkpoint;
      expect(rootHash).toBe(b64(merkleRoot(leaves.slice(0, size))));

      const text = JSON.stringify(events);
      expect(minted.length).toBeGreaterThan(3);
      for (const token of [...minted, ...bearers]) {
        expect(text).not.toContain(token);
        const signature = token.split('.')[2] ?? '';
        if (signature.length > 16) expect(text).not.toContain(signature);
      }
    });

    // Last: it breaks the chain for good.
    it('reports the first tampered event', async () => {
      const dave = await as('dave');
      const events = await auditEvents(dave);
      const target = events[Math.floor(events.length / 2)];
      const dataSource = broker.app.get<string, DataSource>('countersign:data-source');
      const [p1, p2] = kind === 'postgres' ? ['$1', '$2'] : ['?', '?'];
      const tampered = JSON.stringify({ ...(target.data as object), tampered: true });
      await tamperWithAuditLog(
        dataSource,
        `UPDATE audit_events SET data = ${p1} WHERE seq = ${p2}`,
        [tampered, target.seq],
      );

      const verify = await dave.get('/v1/audit/verify').expect(200);
      expect(verify.body).toMatchObject({ ok: false, brokenAt: target.seq });
      expect(jwt.firstBrokenLink(await auditEvents(dave))).toBe(target.seq);
    });
  });
});
