import type { JSONWebKeySet } from 'jose';
import { verifyEvidence } from '#evidence';
import { auditHead, refusalsOf } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as } from '../support/flow.js';
import { decodePart } from '../support/jwt-tools.js';
import { TestIssuer } from '../support/test-issuer.js';

// alice-bot is owned by alice (the test config's owners); alice delegated to it.
const DELEGATIONS = `delegations:
  "corp:alice-bot": ["corp:alice"]
`;
const BODY = {
  role: 'prod-db-admin',
  justification: 'INC-11: nightly fix',
  onBehalfOf: 'corp:alice',
};
const tokenOf = (body: unknown) => (body as { credential: { token: string } }).credential.token;

describe.each(DATABASE_KINDS)('an agent acting for a person on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind, issuer, yaml: testConfigYaml(issuer, DELEGATIONS) });
  });

  afterAll(async () => {
    await broker.close();
    await issuer.close();
  });

  it('gets a credential naming the person as sub and itself as act; neither may approve', async () => {
    const agent = await as(broker, 'alice-bot', ['engineering']);
    const created = await agent.post('/v1/requests', BODY).expect(201);
    expect(created.body).toMatchObject({
      requester: 'corp:alice-bot',
      recipient: 'corp:alice',
      onBehalfOf: 'corp:alice',
    });
    const id = created.body.id as string;

    const byPerson = await (
      await as(broker, 'alice', ['engineering', 'sre-leads'])
    )
      .post(`/v1/requests/${id}/approve`)
      .expect(403);
    expect(byPerson.body).toMatchObject({ error: 'separation_of_duties' });
    const byAgent = await (
      await as(broker, 'alice-bot', ['sre-leads'])
    )
      .post(`/v1/requests/${id}/approve`)
      .expect(403);
    expect(byAgent.body).toMatchObject({ error: 'separation_of_duties' });
    await (await as(broker, 'bob')).post(`/v1/requests/${id}/approve`).expect(200);

    const minted = await agent.post(`/v1/requests/${id}/credentials`).expect(201);
    const claims = decodePart(tokenOf(minted.body).split('.')[1]);
    expect(claims).toMatchObject({ sub: 'corp:alice', act: { sub: 'corp:alice-bot' } });
    const introspected = await (
      await as(broker, 'bob')
    )
      .post('/v1/introspect', { token: tokenOf(minted.body) })
      .expect(200);
    expect(introspected.body).toMatchObject({
      active: true,
      sub: 'corp:alice',
      act: { sub: 'corp:alice-bot' },
    });

    const evidence = await agent.get(`/v1/requests/${id}/evidence`).expect(200);
    expect(JSON.parse(evidence.text).bundle.request).toMatchObject({ act: 'corp:alice-bot' });
    const jwks = (await broker.http.get('/.well-known/jwks.json')).body as JSONWebKeySet;
    const report = await verifyEvidence(evidence.text, jwks);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
  });

  it('the person may redeem it too', async () => {
    const created = await (
      await as(broker, 'alice-bot', ['engineering'])
    )
      .post('/v1/requests', BODY)
      .expect(201);
    await (await as(broker, 'bob')).post(`/v1/requests/${created.body.id}/approve`).expect(200);
    await (
      await as(broker, 'alice')
    )
      .post(`/v1/requests/${created.body.id}/credentials`)
      .expect(201);
  });

  it('refuses an agent without the delegation, and a person who did not delegate', async () => {
    const mark = await auditHead(broker);
    const undelegated = await (await as(broker, 'bob-bot')).post('/v1/requests', BODY).expect(403);
    expect(undelegated.body).toMatchObject({ error: 'not_eligible', reason: 'not_delegated' });
    // A requester of the role itself (engineering): only requesters learn of a missing delegation.
    const otherPerson = await (
      await as(broker, 'alice-bot', ['engineering'])
    )
      .post('/v1/requests', { ...BODY, onBehalfOf: 'corp:bob' })
      .expect(403);
    expect(otherPerson.body).toMatchObject({ error: 'not_eligible', reason: 'not_delegated' });
    const refusals = await refusalsOf(broker, { cursor: mark });
    expect(refusals.refused.map((r) => r.reason)).toEqual(['not_delegated', 'not_delegated']);
  });

  it('refuses onBehalfOf with a recipient', async () => {
    const both = await (
      await as(broker, 'alice-bot')
    )
      .post('/v1/requests', { ...BODY, recipient: 'corp:alice-bot' })
      .expect(400);
    expect(both.body).toMatchObject({
      error: 'invalid_request',
      fields: [{ field: 'onBehalfOf', message: 'names the recipient: do not give both' }],
    });
  });
});
