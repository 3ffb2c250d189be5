import type { Response } from 'supertest';
import { FixedClock } from '#domain';
import { auditHead, auditTrail, countByType, refusalsOf } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import { approvedRequest, as } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

const PROD = { role: 'prod-db-admin', justification: 'INC-7' };
const TWO = { role: 'two-person', justification: 'release 42' };
/** alice as an engineer who is also an sre-lead: an eligible approver but for separation. */
const LEAD = ['engineering', 'sre-leads'];

async function post(
  b: TestBroker,
  user: string,
  path: string,
  body: object = {},
  groups?: string[],
): Promise<Response> {
  return (await as(b, user, groups)).post(path, body);
}
/** Asserts the status, showing the body when it differs. */
async function ok(pending: Promise<Response>, code = 200): Promise<Response> {
  const res = await pending;
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: code });
  return res;
}
const approve = (b: TestBroker, user: string, id: string, groups?: string[]) =>
  post(b, user, `/v1/requests/${id}/approve`, {}, groups);
const mint = (b: TestBroker, user: string, id: string) =>
  post(b, user, `/v1/requests/${id}/credentials`);
async function create(b: TestBroker, user: string, body: object, groups?: string[]) {
  return (await ok(post(b, user, '/v1/requests', body, groups), 201)).body as {
    id: string;
    [key: string]: unknown;
  };
}
async function status(b: TestBroker, id: string) {
  const response = await (await as(b, 'dave')).get(`/v1/requests/${id}`).expect(200);
  return response.body as { status: string; approvals: { approver: string }[] };
}

/** Status, `error` and `reason` of a refusal, exactly (`reason` absent where none is given). */
function expectRefused(res: Response, code: number, error: string, reason?: string) {
  expect({ status: res.status, error: res.body.error, reason: res.body.reason }).toEqual({
    status: code,
    error,
    reason,
  });
}
const refusal = (type: string, code: string, reason: string, extra: object = {}) => ({
  type,
  ...extra,
  code,
  reason,
});
const denied = (action: string, reason: string) => ({
  action,
  decision: 'deny',
  rule: expect.any(String),
  reason,
});

describe.each(DATABASE_KINDS)('separation of duties on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind, issuer });
  });

  afterAll(async () => {
    await broker?.close();
    await issuer?.close();
  });

  it('rule 1: a requester that is also an approver can neither approve nor deny its own request', async () => {
    const { id } = await create(broker, 'alice', PROD, LEAD);
    expectRefused(
      await approve(broker, 'alice', id, LEAD),
      403,
      'separation_of_duties',
      'self_approval',
    );
    const deny = await post(broker, 'alice', `/v1/requests/${id}/deny`, { reason: 'no' }, LEAD);
    expectRefused(deny, 403, 'separation_of_duties', 'self_approval');
    expect(await status(broker, id)).toMatchObject({ status: 'pending', approvals: [] });
    expect(await refusalsOf(broker, { requestId: id, actor: 'corp:alice' })).toEqual({
      refused: [
        refusal('approval.refused', 'separation_of_duties', 'self_approval'),
        refusal('approval.refused', 'separation_of_duties', 'self_approval'),
      ],
      denied: [denied('approve', 'self_approval'), denied('deny', 'self_approval')],
    });
  });

  it('rule 2: the recipient (an owned NHI in sre-leads) cannot approve a request it would receive', async () => {
    const request = await create(broker, 'alice', { ...PROD, recipient: 'corp:alice-bot' });
    expect(request).toMatchObject({ requester: 'corp:alice', recipient: 'corp:alice-bot' });
    const res = await approve(broker, 'alice-bot', request.id, ['sre-leads']);
    expectRefused(res, 403, 'separation_of_duties', 'approver_is_recipient');
    expect(await refusalsOf(broker, { requestId: request.id, actor: 'corp:alice-bot' })).toEqual({
      refused: [refusal('approval.refused', 'separation_of_duties', 'approver_is_recipient')],
      denied: [denied('approve', 'approver_is_recipient')],
    });
    // Control: the request itself is approvable and redeemable by its recipient.
    expect((await ok(approve(broker, 'bob', request.id))).body.status).toBe('approved');
    await ok(mint(broker, 'alice-bot', request.id), 201);
  });

  it('rule 4 (strict): an owner, an owned bot or an alias of the requester is refused as approver_linked', async () => {
    const cases = [
      { requester: 'bob-bot', groups: ['engineering'], approver: 'bob', approverGroups: undefined },
      {
        requester: 'alice',
        groups: undefined,
        approver: 'alice-bot',
        approverGroups: ['sre-leads'],
      },
      { requester: 'frank.alt', groups: [], approver: 'frank', approverGroups: undefined },
    ];
    for (const c of cases) {
      const { id } = await create(broker, c.requester, PROD, c.groups);
      const res = await approve(broker, c.approver, id, c.approverGroups);
      expectRefused(res, 403, 'separation_of_duties', 'approver_linked');
      expect(await refusalsOf(broker, { requestId: id, actor: `corp:${c.approver}` })).toEqual({
        refused: [refusal('approval.refused', 'separation_of_duties', 'approver_linked')],
        denied: [denied('approve', 'approver_linked')],
      });
      expect(await status(broker, id)).toMatchObject({ status: 'pending', approvals: [] });
      // Control: an unlinked approver completes it.
      expect((await ok(approve(broker, 'erin', id))).body.status).toBe('approved');
    }
  });

  it('rule 3: an approver never receives the credential; others who may not redeem are refused', async () => {
    const { id } = await approvedRequest(broker);
    expectRefused(
      await mint(broker, 'bob', id),
      403,
      'separation_of_duties',
      'recipient_is_approver',
    );
    expectRefused(await mint(broker, 'erin', id), 403, 'forbidden', 'not_recipient');
    const mark = await auditHead(broker);
    expectRefused(await mint(broker, 'mallory', id), 404, 'not_found');
    expect(await refusalsOf(broker, { requestId: id, actor: 'corp:bob' })).toEqual({
      refused: [refusal('credential.refused', 'separation_of_duties', 'recipient_is_approver')],
      denied: [denied('mint', 'recipient_is_approver')],
    });
    expect((await refusalsOf(broker, { requestId: id, actor: 'corp:erin' })).refused).toEqual([
      refusal('credential.refused', 'forbidden', 'not_recipient'),
    ]);
    expect((await refusalsOf(broker, { actor: 'corp:mallory', cursor: mark })).refused).toEqual([
      refusal('credential.refused', 'not_found', 'not_found', { requestId: id }),
    ]);
    // Nothing was minted: the recipient still redeems, once.
    await ok(mint(broker, 'alice', id), 201);
  });

  it('rule 5: N distinct approvers; a repeat counts once; approving an approved request is 409', async () => {
    const { id, approvalsRequired } = await create(broker, 'alice', TWO);
    expect(approvalsRequired).toBe(2);
    const first = await ok(approve(broker, 'bob', id));
    expect(first.body).toMatchObject({ status: 'pending', approvals: [{ approver: 'corp:bob' }] });
    const again = await ok(approve(broker, 'bob', id));
    expect(again.body.status).toBe('pending');
    expect(again.body.approvals).toHaveLength(1);
    const second = await ok(approve(broker, 'erin', id));
    expect(second.body.status).toBe('approved');
    expect(second.body.approvals).toEqual([
      expect.objectContaining({ approver: 'corp:bob' }),
      expect.objectContaining({ approver: 'corp:erin' }),
    ]);
    expectRefused(await approve(broker, 'carol', id), 409, 'invalid_state', 'request_approved');
    expect((await refusalsOf(broker, { requestId: id, actor: 'corp:carol' })).refused).toEqual([
      refusal('approval.refused', 'invalid_state', 'request_approved', { action: 'approve' }),
    ]);
    const recorded = await auditTrail(broker, { requestId: id, type: 'approval.recorded' });
    expect(recorded.map((e) => e.actor)).toEqual(['corp:bob', 'corp:erin']);
    const approvedEvents = await auditTrail(broker, { requestId: id, type: 'request.approved' });
    expect(approvedEvents.map((e) => e.data.approvers)).toEqual([['corp:bob', 'corp:erin']]);
  });

  it('rule 5: 10 concurrent approvals by one approver count once', async () => {
    const { id } = await create(broker, 'alice', TWO);
    const bob = await as(broker, 'bob');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => bob.post(`/v1/requests/${id}/approve`)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    for (const r of results)
      expect(r.body).toMatchObject({ status: 'pending', approvals: [{ approver: 'corp:bob' }] });
    const after = await status(broker, id);
    expect(after.status).toBe('pending');
    expect(after.approvals.map((a) => a.approver)).toEqual(['corp:bob']);
    expect((await countByType(broker, id))['approval.recorded']).toBe(1);
  });

  it('rule 6: an admin approval never completes a request on its own', async () => {
    const single = await create(broker, 'alice', PROD);
    const byDave = await ok(approve(broker, 'dave', single.id));
    expect(byDave.body).toMatchObject({
      status: 'pending',
      approvals: [{ approver: 'corp:dave' }],
    });
    const byBob = await ok(approve(broker, 'bob', single.id));
    expect(byBob.body.status).toBe('approved');
    const recorded = await auditTrail(broker, { requestId: single.id, type: 'approval.recorded' });
    expect(recorded.map((e) => [e.actor, e.data.adminReach])).toEqual([
      ['corp:dave', true],
      ['corp:bob', false],
    ]);

    const pair = await create(broker, 'alice', TWO);
    await ok(approve(broker, 'dave', pair.id));
    const twoAdmins = await ok(approve(broker, 'grace', pair.id, ['security', 'sre-leads']));
    expect(twoAdmins.body.status).toBe('pending');
    expect(twoAdmins.body.approvals).toHaveLength(2);
    expect((await ok(approve(broker, 'bob', pair.id))).body.status).toBe('approved');
  });

  it('requests: only for oneself or an owned NHI, only by eligible requesters, within maxDuration', async () => {
    const mark = await auditHead(broker);
    const forBob = await post(broker, 'alice', '/v1/requests', { ...PROD, recipient: 'corp:bob' });
    expectRefused(forBob, 403, 'not_eligible', 'recipient_not_owned');
    expectRefused(
      await post(broker, 'mallory', '/v1/requests', PROD),
      403,
      'not_eligible',
      'not_a_requester',
    );
    const tooLong = await post(broker, 'alice', '/v1/requests', { ...PROD, duration: '2h' });
    expectRefused(tooLong, 400, 'invalid_request', 'invalid_input');
    expect(tooLong.body.fields).toEqual([
      { field: 'duration', message: expect.stringContaining('maxDuration') },
    ]);
    expect(await refusalsOf(broker, { actor: 'corp:alice', cursor: mark })).toEqual({
      refused: [
        refusal('request.refused', 'not_eligible', 'recipient_not_owned'),
        refusal('request.refused', 'invalid_request', 'invalid_input', { role: 'prod-db-admin' }),
      ],
      denied: [denied('request', 'recipient_not_owned')],
    });
    expect(await refusalsOf(broker, { actor: 'corp:mallory', cursor: mark })).toEqual({
      refused: [refusal('request.refused', 'not_eligible', 'not_a_requester')],
      denied: [denied('request', 'not_a_requester')],
    });
    expect((await auditTrail(broker, { type: 'request.created', cursor: mark })).length).toBe(0);
  });

  it('cancel: only the requester; a cancelled request cannot be approved', async () => {
    const { id } = await create(broker, 'alice', PROD);
    expectRefused(
      await post(broker, 'bob', `/v1/requests/${id}/cancel`),
      403,
      'forbidden',
      'not_requester',
    );
    expectRefused(await post(broker, 'mallory', `/v1/requests/${id}/cancel`), 404, 'not_found');
    const cancelled = await ok(post(broker, 'alice', `/v1/requests/${id}/cancel`));
    expect(cancelled.body.status).toBe('cancelled');
    expectRefused(await approve(broker, 'bob', id), 409, 'invalid_state', 'request_cancelled');
    expect((await refusalsOf(broker, { requestId: id, actor: 'corp:bob' })).refused).toEqual([
      refusal('request.refused', 'forbidden', 'not_requester', { action: 'cancel' }),
      refusal('approval.refused', 'invalid_state', 'request_cancelled', { action: 'approve' }),
    ]);
    expect(await countByType(broker, id)).toMatchObject({ 'request.cancelled': 1 });
    expect((await countByType(broker, id))['approval.recorded']).toBeUndefined();
  });

  it('rule 7: after a restart, a removed role, an ineligible or a newly linked approver means no credential', async () => {
    const database = await freshDatabase(kind);
    const base = testConfigYaml(issuer);
    const withBroker = async (yaml: string, run: (b: TestBroker) => Promise<void>) => {
      const b = await startBroker({ kind, issuer, database, yaml });
      try {
        await run(b);
      } finally {
        await b.close();
      }
    };
    try {
      const ids: string[] = [];
      await withBroker(base, async (b) => {
        for (let i = 0; i < 3; i++) ids.push((await approvedRequest(b)).id);
      });
      const variants = [
        {
          yaml: base.replace(/ {4}- name: prod-db-admin[\s\S]*?(?= {4}- name: two-person)/, ''),
          refused: ['not_eligible', 'role_removed'],
        },
        {
          yaml: base.replace(
            'approvers: { groups: [sre-leads], principals: ["corp:carol"] }',
            'approvers: { principals: ["corp:carol"] }',
          ),
          refused: ['not_eligible', 'approver_not_eligible'],
        },
        {
          yaml: base.replace('aliases:\n', 'aliases:\n  - ["corp:alice", "corp:bob"]\n'),
          refused: ['separation_of_duties', 'approver_linked'],
        },
      ];
      expect(variants.map((v) => v.yaml === base)).toEqual([false, false, false]);
      for (const [i, v] of variants.entries()) {
        await withBroker(v.yaml, async (b) => {
          const [code, reason] = v.refused;
          expectRefused(await mint(b, 'alice', ids[i]), 403, code, reason);
          expect(await refusalsOf(b, { requestId: ids[i], actor: 'corp:alice' })).toEqual({
            refused: [refusal('credential.refused', code, reason)],
            denied: [denied('mint', reason)],
          });
          expect((await status(b, ids[i])).status).toBe('approved');
        });
      }
      await withBroker(base, async (b) => {
        const verify = await (await as(b, 'dave')).get('/v1/audit/verify').expect(200);
        expect(verify.body.ok).toBe(true);
      });
    } finally {
      await database.drop();
    }
  });

  describe('with a fixed clock', () => {
    const clock = new FixedClock(new Date());
    let timed: TestBroker;

    beforeAll(async () => {
      timed = await startBroker({ kind, issuer, clock });
    });

    afterAll(async () => {
      await timed?.close();
    });

    it('rule 7: past the redeem window there is no credential and the request expires', async () => {
      const { id } = await approvedRequest(timed);
      clock.advance(15 * 60 + 1);
      expectRefused(await mint(timed, 'alice', id), 409, 'invalid_state', 'redeem_window_passed');
      expect((await status(timed, id)).status).toBe('expired');
      expect(await countByType(timed, id)).toMatchObject({ 'request.expired': 1 });
      expect(await refusalsOf(timed, { requestId: id, actor: 'corp:alice' })).toEqual({
        refused: [refusal('credential.refused', 'invalid_state', 'redeem_window_passed')],
        denied: [denied('mint', 'redeem_window_passed')],
      });
      expect((await countByType(timed, id))['credential.issued']).toBeUndefined();
    });

    it('a request pending past requestTimeout cannot be approved', async () => {
      const { id } = await create(timed, 'alice', PROD);
      clock.advance(24 * 3600 + 1);
      expectRefused(await approve(timed, 'bob', id), 409, 'invalid_state', 'request_expired');
      expect(await status(timed, id)).toMatchObject({ status: 'expired', approvals: [] });
      expect(await countByType(timed, id)).toMatchObject({ 'request.expired': 1 });
      expect((await refusalsOf(timed, { requestId: id, actor: 'corp:bob' })).refused).toEqual([
        refusal('approval.refused', 'invalid_state', 'request_expired'),
      ]);
      const verify = await (await as(timed, 'dave')).get('/v1/audit/verify').expect(200);
      expect(verify.body.ok).toBe(true);
    });
  });

  describe('with separation: identity', () => {
    let loose: TestBroker;

    beforeAll(async () => {
      const yaml = testConfigYaml(issuer).replace('separation: strict', 'separation: identity');
      loose = await startBroker({ kind, issuer, yaml });
    });

    afterAll(async () => {
      await loose?.close();
    });

    it('linked approvers count, but the requester and recipient themselves never do', async () => {
      const ownersBot = await create(loose, 'bob-bot', PROD, ['engineering']);
      expect((await ok(approve(loose, 'bob', ownersBot.id))).body.status).toBe('approved');
      await ok(mint(loose, 'bob-bot', ownersBot.id), 201);
      const alias = await create(loose, 'frank.alt', PROD);
      expect((await ok(approve(loose, 'frank', alias.id))).body.status).toBe('approved');
      const forBot = await create(loose, 'alice', { ...PROD, recipient: 'corp:alice-bot' });
      const res = await approve(loose, 'alice-bot', forBot.id, ['sre-leads']);
      expectRefused(res, 403, 'separation_of_duties', 'approver_is_recipient');
      const own = await create(loose, 'alice', PROD, LEAD);
      expectRefused(
        await approve(loose, 'alice', own.id, LEAD),
        403,
        'separation_of_duties',
        'self_approval',
      );
      const verify = await (await as(loose, 'dave')).get('/v1/audit/verify').expect(200);
      expect(verify.body.ok).toBe(true);
    });
  });

  it('leaves an audit chain that verifies', async () => {
    const verify = await (await as(broker, 'dave')).get('/v1/audit/verify').expect(200);
    expect(verify.body).toEqual({
      ok: true,
      events: expect.any(Number),
      head: expect.stringMatching(/^[0-9a-f]{64}$/),
      rootHash: expect.any(String),
      checkpoint: { size: expect.any(Number), rootHash: expect.any(String) },
    });
  });
});
