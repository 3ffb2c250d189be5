import { auditHead, refusalsOf } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

// A break-glass role only engineering may use, and a delegation for the onBehalfOf path.
const EXTRA = `    - name: emergency
      resource: postgres://prod/payments
      actions: [db:read]
      maxDuration: 1h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      breakGlass: { maxDuration: 10m, reviewWithin: 1h }
delegations:
  "corp:alice-bot": ["corp:alice"]
`;

const NOT_REQUESTABLE = {
  error: 'not_eligible',
  message: 'you may not request this role; GET /v1/roles lists the roles you may request',
  reason: 'not_a_requester',
};

describe.each(DATABASE_KINDS)('an unknown role and a role one may not request on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind, issuer, yaml: testConfigYaml(issuer, EXTRA) });
  });

  afterAll(async () => {
    await broker.close();
    await issuer.close();
  });

  /** Status, headers that could differ, and the body, of one refused call. */
  const answer = async (user: string, path: string, body: object) => {
    const response = await (await as(broker, user)).post(path, body);
    return {
      status: response.status,
      type: response.headers['content-type'],
      body: response.text,
    };
  };

  it('answer the same, word for word, on every path; the audit log tells them apart', async () => {
    const mark = await auditHead(broker);
    const justification = { justification: 'INC-7' };
    const probes: [string, string, object, object][] = [
      // mallory may request nothing; the bot may request prod-db-admin only on alice's behalf.
      ['mallory', '/v1/requests', { role: 'prod-db-admin' }, { role: 'no-such-role' }],
      ['mallory', '/v1/requests', { role: 'two-person' }, { role: 'two' }],
      [
        'alice-bot',
        '/v1/requests',
        { role: 'prod-db-admin', onBehalfOf: 'corp:bob' },
        { role: 'no-such-role', onBehalfOf: 'corp:bob' },
      ],
      ['mallory', '/v1/break-glass', { role: 'emergency' }, { role: 'no-such-role' }],
      ['mallory', '/v1/break-glass', { role: 'prod-db-admin' }, { role: 'emergency-2' }],
    ];
    for (const [user, path, known, unknown] of probes) {
      const real = await answer(user, path, { ...justification, ...known });
      expect(real.status).toBe(403);
      expect(JSON.parse(real.body)).toEqual(NOT_REQUESTABLE);
      expect(await answer(user, path, { ...justification, ...unknown })).toEqual(real);
    }

    const { refused, denied } = await refusalsOf(broker, { cursor: mark });
    expect(refused.map((r) => [r.type, r.code, r.reason, r.role])).toEqual([
      ['request.refused', 'not_eligible', 'not_a_requester', undefined],
      ['request.refused', 'not_eligible', 'unknown_role', 'no-such-role'],
      ['request.refused', 'not_eligible', 'not_a_requester', undefined],
      ['request.refused', 'not_eligible', 'unknown_role', 'two'],
      ['request.refused', 'not_eligible', 'not_a_requester', undefined],
      ['request.refused', 'not_eligible', 'unknown_role', 'no-such-role'],
      ['request.refused', 'not_eligible', 'not_a_requester', undefined],
      ['request.refused', 'not_eligible', 'unknown_role', 'no-such-role'],
      ['request.refused', 'not_eligible', 'not_a_requester', undefined],
      ['request.refused', 'not_eligible', 'unknown_role', 'emergency-2'],
    ]);
    expect(denied.map((d) => [d.action, d.rule, d.reason])).toEqual([
      ['request', 'requesters', 'not_a_requester'],
      ['request', 'requesters', 'not_a_requester'],
      ['request', 'requesters', 'not_a_requester'],
      ['break_glass', 'requesters', 'not_a_requester'],
      ['break_glass', 'requesters', 'not_a_requester'],
    ]);
  });

  it('tells a requester what else is wrong only once the role is theirs', async () => {
    // A missing delegation, a recipient not owned, a role without break-glass: told to requesters.
    const botOfAlice = await (
      await as(broker, 'alice-bot', ['engineering'])
    ).post('/v1/requests', {
      role: 'prod-db-admin',
      onBehalfOf: 'corp:bob',
      justification: 'x',
    });
    expect(botOfAlice.body).toMatchObject({ error: 'not_eligible', reason: 'not_delegated' });
    const forBob = await (
      await as(broker, 'alice')
    ).post('/v1/requests', {
      role: 'prod-db-admin',
      recipient: 'corp:bob',
      justification: 'x',
    });
    expect(forBob.body).toMatchObject({ error: 'not_eligible', reason: 'recipient_not_owned' });
    const noBreakGlass = await (
      await as(broker, 'alice')
    ).post('/v1/break-glass', {
      role: 'prod-db-admin',
      justification: 'x',
    });
    expect(noBreakGlass.body).toMatchObject({
      error: 'forbidden',
      reason: 'break_glass_not_allowed',
    });
  });
});
