import type { JSONWebKeySet } from 'jose';
import type { EvidenceDocument } from '#evidence';
import { verifyEvidence } from '#evidence';
import { auditHead, refusalsOf } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as } from '../support/flow.js';
import { decodePart } from '../support/jwt-tools.js';
import { TestIssuer } from '../support/test-issuer.js';

const tokenOf = (body: unknown) => (body as { credential: { token: string } }).credential.token;

const NARROW = {
  role: 'prod-db-admin',
  justification: 'INC-7: read the invoices',
  intent: { actions: ['db:read'], resource: 'postgres://prod/payments/invoices' },
};

describe.each(DATABASE_KINDS)('intent on %s', (kind) => {
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

  it('is shown to approvers, and the credential carries exactly the approved intent', async () => {
    const alice = await as(broker, 'alice');
    const bob = await as(broker, 'bob');
    const created = await alice.post('/v1/requests', NARROW).expect(201);
    const intent = { actions: ['db:read'], resource: 'postgres://prod/payments/invoices' };
    expect(created.body).toMatchObject({ resource: 'postgres://prod/payments', intent });

    const seen = await bob.get(`/v1/requests/${created.body.id}`).expect(200);
    expect(seen.body.intent).toEqual(intent);
    await bob.post(`/v1/requests/${created.body.id}/approve`).expect(200);

    const minted = await alice.post(`/v1/requests/${created.body.id}/credentials`).expect(201);
    const claims = decodePart(tokenOf(minted.body).split('.')[1]);
    expect(claims).toMatchObject({ aud: intent.resource, scope: 'db:read' });

    const introspected = await bob
      .post('/v1/introspect', { token: tokenOf(minted.body) })
      .expect(200);
    expect(introspected.body).toMatchObject({
      active: true,
      aud: intent.resource,
      scope: 'db:read',
    });

    const evidence = await alice.get(`/v1/requests/${created.body.id}/evidence`).expect(200);
    const document = JSON.parse(evidence.text) as EvidenceDocument;
    expect(document.bundle.request.intent).toEqual(intent);
    const jwks = (await broker.http.get('/.well-known/jwks.json')).body as JSONWebKeySet;
    expect((await verifyEvidence(evidence.text, jwks)).ok).toBe(true);
  });

  it('without an intent, the credential carries the whole role', async () => {
    const alice = await as(broker, 'alice');
    const created = await alice
      .post('/v1/requests', { role: 'prod-db-admin', justification: 'INC-8' })
      .expect(201);
    expect(created.body).not.toHaveProperty('intent');
    await (await as(broker, 'bob')).post(`/v1/requests/${created.body.id}/approve`).expect(200);
    const minted = await alice.post(`/v1/requests/${created.body.id}/credentials`).expect(201);
    const claims = decodePart(tokenOf(minted.body).split('.')[1]);
    expect(claims).toMatchObject({ aud: 'postgres://prod/payments', scope: 'db:read db:write' });
  });

  it.each([
    [
      'an action the role does not have',
      { actions: ['db:read', 'db:drop'] },
      'intent.actions',
      "not among the role's actions (db:read, db:write): db:drop",
    ],
    [
      'a resource outside the role’s',
      { actions: ['db:read'], resource: 'postgres://prod/payments-archive' },
      'intent.resource',
      'must be postgres://prod/payments or a path under it',
    ],
    [
      'a resource that climbs out of the role’s',
      { actions: ['db:read'], resource: 'postgres://prod/payments/../ledger' },
      'intent.resource',
      'must be postgres://prod/payments or a path under it',
    ],
  ])('refuses %s, and audits the refusal', async (_case, intent, field, message) => {
    const mark = await auditHead(broker);
    const response = await (
      await as(broker, 'alice')
    )
      .post('/v1/requests', { ...NARROW, intent })
      .expect(400);
    expect(response.body).toMatchObject({
      error: 'invalid_request',
      fields: [{ field, message }],
    });
    expect((await refusalsOf(broker, { actor: 'corp:alice', cursor: mark })).refused).toEqual([
      {
        type: 'request.refused',
        role: 'prod-db-admin',
        code: 'invalid_request',
        reason: 'invalid_input',
      },
    ]);
  });

  it('rejects unknown fields and oversized lists in the intent', async () => {
    const alice = await as(broker, 'alice');
    await alice
      .post('/v1/requests', { ...NARROW, intent: { actions: ['db:read'], tables: ['x'] } })
      .expect(400);
    const many = Array.from({ length: 101 }, (_, i) => `a${i}`);
    await alice.post('/v1/requests', { ...NARROW, intent: { actions: many } }).expect(400);
  });
});
