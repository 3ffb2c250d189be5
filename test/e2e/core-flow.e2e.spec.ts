import { DATABASE_KINDS } from '../support/databases.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker } from '../support/broker.js';
import { approvedRequest, as, createRequest } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

describe.each(DATABASE_KINDS)('core flow on %s', (kind) => {
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

  it('runs request -> approve -> mint -> introspect -> revoke', async () => {
    const request = await createRequest(broker, 'alice');
    expect(request).toMatchObject({
      status: 'pending',
      requester: 'corp:alice',
      recipient: 'corp:alice',
      duration: 900,
    });

    const bob = await as(broker, 'bob');
    const approved = await bob
      .post(`/v1/requests/${request.id}/approve`, { comment: 'ok' })
      .expect(200);
    expect(approved.body).toMatchObject({
      status: 'approved',
      approvals: [{ approver: 'corp:bob', comment: 'ok' }],
    });

    const alice = await as(broker, 'alice');
    const minted = await alice.post(`/v1/requests/${request.id}/credentials`).expect(201);
    expect(minted.body.credential.type).toBe('jwt');

    const introspected = await bob
      .post('/v1/introspect', { token: minted.body.credential.token })
      .expect(200);
    expect(introspected.body).toMatchObject({
      active: true,
      sub: 'corp:alice',
      aud: 'postgres://prod/payments',
      scope: 'db:read db:write',
      jti: minted.body.grantId,
    });

    const revoked = await alice
      .post(`/v1/grants/${minted.body.grantId}/revoke`, { reason: 'done' })
      .expect(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revokedReason: 'done' });
    const after = await bob
      .post('/v1/introspect', { token: minted.body.credential.token })
      .expect(200);
    expect(after.body).toEqual({ active: false });
  });

  it('mints once under 10 concurrent redemptions', async () => {
    const request = await approvedRequest(broker);
    const alice = await as(broker, 'alice');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => alice.post(`/v1/requests/${request.id}/credentials`)),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    for (const r of results.filter((x) => x.status === 409))
      expect(r.body.error).toBe('already_issued');
  });
});
