import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { JSONWebKeySet } from 'jose';
import { verifyWebhookSignature } from '#access';
import type { EvidenceDocument } from '#evidence';
import { verifyEvidence } from '#evidence';
import { auditHead, auditTrail, refusalsOf } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import { as, createRequest, eventually } from '../support/flow.js';
import { decodePart } from '../support/jwt-tools.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(60_000);

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

// Login roles are cluster-wide: this file's carry a prefix of its own, and only those are dropped.
const suffix = randomBytes(4).toString('hex');
const PREFIX = `csx${suffix}_`;
const TARGET_ROLE = `csx${suffix}_reader`;

async function admin<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** The login role's VALID UNTIL, as an instant. */
async function validUntil(username: string): Promise<Date> {
  const [row] = await admin<{ until: Date }>(
    'SELECT rolvaliduntil AS until FROM pg_roles WHERE rolname = $1',
    [username],
  );
  return row.until;
}

const WEBHOOK_SECRET = 'whsec-extension-0123456789';

/** A webhook receiver that records every request and answers `status` (200 unless set). */
class Receiver {
  readonly received: { headers: IncomingHttpHeaders; body: string }[] = [];
  status = 200;
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.received.push({ headers: request.headers, body: Buffer.concat(chunks).toString() });
      response.writeHead(this.status, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The `extend` events received, as payloads with their idempotency keys. */
  extends(): Record<string, unknown>[] {
    return this.received
      .map(({ headers, body }): Record<string, unknown> => {
        const signed = verifyWebhookSignature(
          WEBHOOK_SECRET,
          {
            timestamp: headers['x-countersign-timestamp'] as string,
            signature: headers['x-countersign-signature'] as string,
          },
          body,
        );
        const key = headers['idempotency-key'];
        return { ...(JSON.parse(body) as Record<string, unknown>), signed, key };
      })
      .filter((payload) => payload.event === 'extend');
  }
}

const extraRoles = (target: string) => `
    - name: pg-ext
      resource: postgres://test/ext
      actions: [db:read]
      maxDuration: 1h
      defaultDuration: 10m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      provider:
        type: postgres
        connection: "${target}"
        targetRole: ${TARGET_ROLE}
        rolePrefix: ${PREFIX}
    - name: hook-ext
      resource: https://target.example.com
      actions: [use]
      maxDuration: 1h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      provider: { type: webhook, url: "\${HOOK_URL}", secret: "${WEBHOOK_SECRET}", timeout: 1s }
`;

interface Minted {
  grantId: string;
  expiresAt: string;
  extended?: { from: string };
  credential?: { type: string; token?: string; username?: string };
}

const plus = (iso: string, seconds: number) =>
  new Date(new Date(iso).getTime() + seconds * 1000).toISOString();

describe.each(DATABASE_KINDS)('extending a grant on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  let target: FreshDatabase;
  const receiver = new Receiver();

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    const hookUrl = await receiver.start();
    target = await freshDatabase('postgres');
    await admin(`CREATE ROLE ${TARGET_ROLE} NOLOGIN`);
    broker = await startBroker({
      kind,
      issuer,
      yaml: testConfigYaml(issuer, extraRoles('${TARGET_URL}')),
      env: { TARGET_URL: target.url, HOOK_URL: hookUrl },
    });
  });

  afterAll(async () => {
    await broker?.close();
    await receiver.stop();
    await target?.drop();
    const ours = await admin<{ rolname: string }>(
      'SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)',
      [`csx${suffix}_`],
    );
    for (const { rolname } of ours) {
      await admin(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(rolname)}`);
    }
    await issuer.close();
  });

  /** A grant of `role` asked for by alice, approved by bob, redeemed by alice. */
  async function grant(role = 'prod-db-admin', duration = '15m'): Promise<Minted> {
    const request = await createRequest(broker, 'alice', {
      role,
      duration,
      justification: 'INC-1',
    });
    await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
    const alice = await as(broker, 'alice');
    return (await alice.post(`/v1/requests/${request.id}/credentials`).expect(201)).body as Minted;
  }

  async function extension(grantId: string, duration: string, approver = 'bob') {
    const alice = await as(broker, 'alice');
    const body = { duration, justification: 'INC-1: still restoring' };
    const created = await alice.post(`/v1/grants/${grantId}/extend`, body).expect(201);
    await (await as(broker, approver)).post(`/v1/requests/${created.body.id}/approve`).expect(200);
    return created.body as { id: string };
  }

  async function redeem(requestId: string): Promise<Minted> {
    const alice = await as(broker, 'alice');
    return (await alice.post(`/v1/requests/${requestId}/credentials`).expect(201)).body as Minted;
  }

  it('an approved extension moves a jwt grant’s end: a new token, introspection agrees', async () => {
    const minted = await grant();
    const alice = await as(broker, 'alice');
    const created = await alice
      .post(`/v1/grants/${minted.grantId}/extend`, { duration: '30m', justification: 'INC-1' })
      .expect(201);
    expect(created.body).toMatchObject({
      role: 'prod-db-admin',
      requester: 'corp:alice',
      recipient: 'corp:alice',
      duration: 1800,
      status: 'pending',
      approvalsRequired: 1,
      extends: minted.grantId,
    });
    // An approver sees what it is asked to extend.
    const bob = await as(broker, 'bob');
    const seen = await bob.get(`/v1/requests/${created.body.id}`).expect(200);
    expect(seen.body).toMatchObject({
      extends: minted.grantId,
      links: { web: expect.any(String) },
    });
    await bob.post(`/v1/requests/${created.body.id}/approve`).expect(200);

    const extended = await redeem(created.body.id);
    const newEnd = plus(minted.expiresAt, 1800);
    expect(extended).toMatchObject({
      grantId: minted.grantId,
      expiresAt: newEnd,
      extended: { from: minted.expiresAt },
      credential: { type: 'jwt', token: expect.any(String) },
    });
    const claims = decodePart(extended.credential!.token!.split('.')[1]);
    expect(claims).toMatchObject({
      jti: minted.grantId,
      exp: Math.floor(Date.parse(newEnd) / 1000),
    });

    const introspected = await bob
      .post('/v1/introspect', { token: extended.credential!.token })
      .expect(200);
    expect(introspected.body).toMatchObject({
      active: true,
      jti: minted.grantId,
      exp: Math.floor(Date.parse(newEnd) / 1000),
    });
    // The first token still answers for the grant, until its own end.
    const first = await bob.post('/v1/introspect', { token: minted.credential!.token }).expect(200);
    expect(first.body).toMatchObject({
      active: true,
      exp: Math.floor(Date.parse(minted.expiresAt) / 1000),
    });

    const view = await alice.get(`/v1/grants/${minted.grantId}`).expect(200);
    expect(view.body).toMatchObject({ status: 'active', expiresAt: newEnd });
    const request = await alice.get(`/v1/requests/${created.body.id}`).expect(200);
    expect(request.body).toMatchObject({ status: 'issued', grantId: minted.grantId });

    const events = await auditTrail(broker, { type: 'grant.extended' });
    expect(events.filter((e) => e.grantId === minted.grantId)).toEqual([
      expect.objectContaining({
        actor: 'corp:alice',
        requestId: created.body.id,
        grantId: minted.grantId,
        data: expect.objectContaining({
          previousExpiresAt: minted.expiresAt,
          expiresAt: newEnd,
          approvers: ['corp:bob'],
          provider: 'jwt',
        }),
      }),
    ]);
    const createdEvent = (await auditTrail(broker, { requestId: created.body.id })).find(
      (e) => e.type === 'request.created',
    );
    expect(createdEvent).toMatchObject({
      grantId: minted.grantId,
      data: { extends: minted.grantId },
    });
  });

  it('keeps both approvals in evidence: each bundle verifies, the grant’s names the extension', async () => {
    const minted = await grant();
    const created = await extension(minted.grantId, '10m', 'erin');
    const extended = await redeem(created.id);
    const alice = await as(broker, 'alice');
    const jwks = (await broker.http.get('/.well-known/jwks.json')).body as JSONWebKeySet;
    const bundleOf = async (requestId: string) => {
      const text = (await alice.get(`/v1/requests/${requestId}/evidence`).expect(200)).text;
      const report = await verifyEvidence(text, jwks);
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      return (JSON.parse(text) as EvidenceDocument).bundle;
    };

    const own = await bundleOf(created.id);
    expect(own.request).toMatchObject({ extends: minted.grantId, status: 'issued' });
    expect(own.approvals).toEqual([expect.objectContaining({ approver: 'corp:erin' })]);
    expect(own.approvals[0].receipt).toEqual(expect.any(String));
    expect(own.issuance).toMatchObject({
      grantId: minted.grantId,
      expiresAt: extended.expiresAt,
      approvers: ['corp:erin'],
    });
    expect(own.auditEvents.map((e) => e.type)).toContain('grant.extended');

    const first = (await alice.get(`/v1/grants/${minted.grantId}`).expect(200)).body as {
      requestId: string;
    };
    const original = await bundleOf(first.requestId);
    expect(original.approvals).toEqual([expect.objectContaining({ approver: 'corp:bob' })]);
    expect(original.issuance).toMatchObject({
      grantId: minted.grantId,
      expiresAt: extended.expiresAt,
      approvers: ['corp:bob'],
      extensions: [
        {
          requestId: created.id,
          approvers: ['corp:erin'],
          previousExpiresAt: minted.expiresAt,
          expiresAt: extended.expiresAt,
        },
      ],
    });
  });

  it('moves a postgres login role’s VALID UNTIL with the grant’s end', async () => {
    const minted = await grant('pg-ext', '10m');
    const username = minted.credential!.username!;
    expect(await validUntil(username)).toEqual(new Date(minted.expiresAt));

    const created = await extension(minted.grantId, '20m');
    const extended = await redeem(created.id);
    const newEnd = plus(minted.expiresAt, 1200);
    // No new password: the login held works on, for longer.
    expect(extended).toEqual({
      grantId: minted.grantId,
      expiresAt: newEnd,
      extended: { from: minted.expiresAt },
    });
    expect(await validUntil(username)).toEqual(new Date(newEnd));
    const view = await (await as(broker, 'alice')).get(`/v1/grants/${minted.grantId}`).expect(200);
    expect(view.body.expiresAt).toBe(newEnd);
  });

  it('tells a webhook the new end, signed; a receiver failing leaves the end where it was', async () => {
    const minted = await grant('hook-ext', '10m');
    const created = await extension(minted.grantId, '5m');
    receiver.status = 503;
    const alice = await as(broker, 'alice');
    const failed = await alice.post(`/v1/requests/${created.id}/credentials`).expect(503);
    expect(failed.body).toMatchObject({ error: 'unavailable', reason: 'provider_unavailable' });
    const unchanged = await alice.get(`/v1/grants/${minted.grantId}`).expect(200);
    expect(unchanged.body).toMatchObject({ status: 'active', expiresAt: minted.expiresAt });
    const approved = await alice.get(`/v1/requests/${created.id}`).expect(200);
    expect(approved.body.status).toBe('approved');

    receiver.status = 200;
    const extended = await redeem(created.id);
    const newEnd = plus(minted.expiresAt, 300);
    expect(extended).toEqual({
      grantId: minted.grantId,
      expiresAt: newEnd,
      extended: { from: minted.expiresAt },
    });
    const told = receiver.extends().filter((payload) => payload.grantId === minted.grantId);
    // Three attempts refused (none undone: nothing moved), then the retry; each signed and keyed
    // by the extension.
    const expected = {
      event: 'extend',
      grantId: minted.grantId,
      expiresAt: newEnd,
      previousExpiresAt: minted.expiresAt,
      extensionRequestId: created.id,
      signed: true,
      key: `${minted.grantId}:extend:${created.id}`,
    };
    const attempt: unknown = expect.objectContaining(expected);
    expect(told).toEqual([attempt, attempt, attempt, attempt]);
  });

  it('refuses a self-approval, the recipient and a linked identity; refusals audited', async () => {
    const minted = await grant();
    const alice = await as(broker, 'alice');
    const created = await alice
      .post(`/v1/grants/${minted.grantId}/extend`, { duration: '10m', justification: 'INC-2' })
      .expect(201);
    const mark = await auditHead(broker);
    const refused = await alice.post(`/v1/requests/${created.body.id}/approve`).expect(403);
    expect(refused.body).toMatchObject({
      error: 'separation_of_duties',
      reason: 'self_approval',
    });
    // alice-bot is owned by alice: linked, refused under strict separation.
    const bot = await as(broker, 'alice-bot', ['sre-leads']);
    const linked = await bot.post(`/v1/requests/${created.body.id}/approve`).expect(403);
    expect(linked.body).toMatchObject({ error: 'separation_of_duties' });
    const { refused: events } = await refusalsOf(broker, {
      requestId: created.body.id,
      cursor: mark,
    });
    expect(events).toEqual([
      expect.objectContaining({ type: 'approval.refused', reason: 'self_approval' }),
      expect.objectContaining({ type: 'approval.refused', code: 'separation_of_duties' }),
    ]);
    const still = await alice.get(`/v1/requests/${created.body.id}`).expect(200);
    expect(still.body).toMatchObject({ status: 'pending', approvals: [] });
  });

  it('holds the cap from first issue across extensions (default twice maxDuration)', async () => {
    // prod-db-admin: maxDuration 1h, so at most 2h from first issue.
    const minted = await grant('prod-db-admin', '15m');
    await redeem((await extension(minted.grantId, '1h')).id);
    const alice = await as(broker, 'alice');
    const over = await alice
      .post(`/v1/grants/${minted.grantId}/extend`, { duration: '46m', justification: 'INC-3' })
      .expect(403);
    expect(over.body).toMatchObject({
      error: 'not_eligible',
      reason: 'exceeds_max_extended_duration',
      message: expect.stringContaining('at most 45m more can be added'),
    });
    const last = await redeem((await extension(minted.grantId, '45m')).id);
    expect(last.expiresAt).toBe(plus(minted.expiresAt, 6300));
    const full = await alice
      .post(`/v1/grants/${minted.grantId}/extend`, { duration: '1s', justification: 'INC-3' })
      .expect(403);
    expect(full.body.reason).toBe('exceeds_max_extended_duration');
    // Longer than the role's maxDuration in one go is the request's own limit.
    const tooLong = await alice
      .post(`/v1/grants/${minted.grantId}/extend`, { duration: '2h', justification: 'INC-3' })
      .expect(400);
    expect(tooLong.body.fields).toEqual([
      { field: 'duration', message: "exceeds the role's maxDuration of 1h" },
    ]);
  });

  it('refuses with codes: not the recipient, pending already, grant ended; each audited', async () => {
    const minted = await grant();
    const path = `/v1/grants/${minted.grantId}/extend`;
    const body = { duration: '5m', justification: 'INC-4' };
    const mark = await auditHead(broker);
    // bob may not see alice's grant at all; dave (an admin) sees it but does not hold it.
    await (await as(broker, 'bob')).post(path, body).expect(404);
    const dave = await (await as(broker, 'dave')).post(path, body).expect(403);
    expect(dave.body).toMatchObject({ error: 'forbidden', reason: 'not_recipient' });

    const alice = await as(broker, 'alice');
    const open = await alice.post(path, body).expect(201);
    const again = await alice.post(path, body).expect(409);
    expect(again.body).toMatchObject({ error: 'invalid_state', reason: 'extension_pending' });
    expect(again.body.message).toContain(open.body.id);
    await alice
      .post(path, { ...body, extra: true })
      .expect(400)
      .expect((r) => expect(r.body.error).toBe('invalid_request'));

    // Approved, then the grant is revoked before the extension is redeemed: nothing revives it.
    await (await as(broker, 'bob')).post(`/v1/requests/${open.body.id}/approve`).expect(200);
    await alice.post(`/v1/grants/${minted.grantId}/revoke`, { reason: 'done' }).expect(200);
    const late = await alice.post(`/v1/requests/${open.body.id}/credentials`).expect(409);
    expect(late.body).toMatchObject({ error: 'invalid_state', reason: 'grant_not_active' });
    const ended = await alice.get(`/v1/grants/${minted.grantId}`).expect(200);
    expect(ended.body).toMatchObject({ status: 'revoked', expiresAt: minted.expiresAt });
    const request = await alice.get(`/v1/requests/${open.body.id}`).expect(200);
    expect(request.body.status).toBe('expired');
    const after = await alice.post(path, body).expect(409);
    expect(after.body).toMatchObject({ error: 'invalid_state', reason: 'grant_not_active' });

    const grantRefusals = (await auditTrail(broker, { type: 'grant.refused', cursor: mark }))
      .filter((e) => e.grantId === minted.grantId || e.data.grantId === minted.grantId)
      .map((e) => ({ actor: e.actor, reason: e.data.reason, action: e.data.action }));
    expect(grantRefusals).toEqual([
      { actor: 'corp:bob', reason: 'not_found', action: 'extend' },
      { actor: 'corp:dave', reason: 'not_recipient', action: 'extend' },
      { actor: 'corp:alice', reason: 'extension_pending', action: 'extend' },
      { actor: 'corp:alice', reason: 'grant_not_active', action: 'extend' },
    ]);
    const mintRefusals = await refusalsOf(broker, { requestId: open.body.id, cursor: mark });
    expect(mintRefusals.refused).toEqual([
      expect.objectContaining({ type: 'credential.refused', reason: 'grant_not_active' }),
    ]);
  });

  it('a redemption racing a revocation never revives the grant nor leaves its login open', async () => {
    const alice = await as(broker, 'alice');
    const races = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const minted = await grant('pg-ext', '10m');
        const created = await extension(minted.grantId, '10m');
        const [redeemed, revoked] = await Promise.all([
          alice.post(`/v1/requests/${created.id}/credentials`),
          alice.post(`/v1/grants/${minted.grantId}/revoke`, { reason: 'race' }),
        ]);
        return { minted, created, redeemed, revoked };
      }),
    );
    for (const { minted, created, redeemed, revoked } of races) {
      expect(revoked.status).toBe(200);
      const view = await alice.get(`/v1/grants/${minted.grantId}`).expect(200);
      const request = await alice.get(`/v1/requests/${created.id}`).expect(200);
      expect(view.body.status).toBe('revoked');
      // Either the extension came first (and the revocation ended the extended grant), or the
      // revocation did and the extension was refused, moving nothing.
      if (redeemed.status === 201) {
        expect(view.body.expiresAt).toBe(plus(minted.expiresAt, 600));
        expect(request.body.status).toBe('issued');
      } else {
        expect(redeemed.status).toBe(409);
        expect(redeemed.body).toMatchObject({ reason: 'grant_not_active' });
        expect(view.body.expiresAt).toBe(minted.expiresAt);
        expect(request.body.status).toBe('expired');
      }
      // Ended in the database, closed at the target: the login role is gone either way.
      const role = await admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [
        minted.credential!.username,
      ]);
      expect(role).toEqual([]);
    }
  });

  it('an approved extension redeemed after the grant’s end revives nothing', async () => {
    const minted = await grant('quick', '2s');
    const created = await extension(minted.grantId, '5m');
    const alice = await as(broker, 'alice');
    await eventually(async () => {
      const view = await alice.get(`/v1/grants/${minted.grantId}`).expect(200);
      return view.body.status === 'expired' ? true : undefined;
    }, 6000);
    const late = await alice.post(`/v1/requests/${created.id}/credentials`).expect(409);
    expect(late.body).toMatchObject({ error: 'invalid_state', reason: 'grant_not_active' });
    const view = await alice.get(`/v1/grants/${minted.grantId}`).expect(200);
    expect(view.body).toMatchObject({ status: 'expired', expiresAt: minted.expiresAt });
    const bob = await as(broker, 'bob');
    const introspected = await bob
      .post('/v1/introspect', { token: minted.credential!.token })
      .expect(200);
    expect(introspected.body).toEqual({ active: false });
  });

  it('re-schedules the revocation: the grant outlives its first end and ends at the new one', async () => {
    // quick: seconds-long grants, revoked by the scheduler (timer on SQLite, BullMQ on PostgreSQL).
    const minted = await grant('quick', '3s');
    const created = await extension(minted.grantId, '3s');
    const extended = await redeem(created.id);
    expect(extended.expiresAt).toBe(plus(minted.expiresAt, 3));
    const alice = await as(broker, 'alice');
    await eventually(
      () => (Date.now() > Date.parse(minted.expiresAt) + 800 ? true : undefined),
      5000,
    );
    const meanwhile = await alice.get(`/v1/grants/${minted.grantId}`).expect(200);
    expect(meanwhile.body).toMatchObject({ status: 'active' });
    expect(meanwhile.body).not.toHaveProperty('overdue');
    const ended = await eventually(async () => {
      const view = await alice.get(`/v1/grants/${minted.grantId}`).expect(200);
      const body = view.body as { status: string; expiresAt: string; endedAt: string };
      return body.status === 'active' ? undefined : body;
    }, 8000);
    expect(ended).toMatchObject({ status: 'expired', expiresAt: extended.expiresAt });
    expect(Date.parse(ended.endedAt)).toBeGreaterThanOrEqual(Date.parse(extended.expiresAt));
  });
});
