import { DATABASE_KINDS } from '../support/databases.js';
import { auditTrail, countByType, refusalsOf } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { FakeSlack, signedClick } from '../support/fake-slack.js';
import type { SlackCall } from '../support/fake-slack.js';
import { as, createRequest, eventually } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

const SECRET = 'test-signing-secret';
const BOT_TOKEN = 'xoxb-test-bot-token';
const TEAM = 'T0001';

// bob is an approver by his token's groups only, which a click does not carry; erin is one
// through `directory`, which it does.
const slackYaml = (apiUrl: string) => `
slack:
  signingSecret: \${SLACK_SIGNING_SECRET}
  botToken: \${SLACK_BOT_TOKEN}
  channel: C0123456
  apiUrl: ${apiUrl}
  users:
    "${TEAM}/U0ALICE": "corp:alice"
    "${TEAM}/U0BOB": "corp:bob"
    "${TEAM}/U0ERIN": "corp:erin"
    "${TEAM}/U0CAROL": "corp:carol"
`;

interface Block {
  type: string;
  elements?: { action_id?: string; value?: string; text?: unknown }[];
}

const blocksOf = (call: SlackCall) => call.args.blocks as Block[];
const buttons = (call: SlackCall) =>
  blocksOf(call)
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);

describe.each(DATABASE_KINDS)('Slack approvals on %s', (kind) => {
  let issuer: TestIssuer;
  let slack: FakeSlack;
  let broker: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    slack = await FakeSlack.start();
    broker = await startBroker({
      kind,
      issuer,
      yaml: testConfigYaml(issuer, slackYaml(slack.apiUrl)),
      env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT_TOKEN },
    });
    // A click carries no token: its admin reach is judged by the groups the clicker last showed
    // in one (docs/identity.md). These approvers have used the API once.
    for (const user of ['erin', 'carol', 'bob'])
      await (await as(broker, user)).get('/v1/roles').expect(200);
  });

  afterAll(async () => {
    await broker.close();
    await slack.close();
    await issuer.close();
  });

  beforeEach(() => {
    slack.failing = false;
  });

  function click(user: string, action: string, requestId: string, timestamp?: number) {
    const signed = signedClick(SECRET, { team: TEAM, user, action, requestId }, timestamp);
    return send(signed);
  }

  function send(signed: { body: string; headers: Record<string, string> }) {
    return broker.http.post('/v1/slack/interactions').set(signed.headers).send(signed.body);
  }

  /** The request's post to the channel (approvers' DMs go out beside it, in any order). */
  const posted = (id: string) =>
    eventually(
      () => slack.callsFor('chat.postMessage', id).find((call) => call.args.channel === 'C0123456'),
      5000,
    );

  it('posts a new request to the channel with Approve and Deny buttons and a link', async () => {
    const request = await createRequest(broker, 'alice');
    const call = await posted(request.id);
    expect(call.authorization).toBe(`Bearer ${BOT_TOKEN}`);
    expect(call.args.channel).toBe('C0123456');
    expect(buttons(call)).toEqual([
      expect.objectContaining({ action_id: 'approve', value: request.id }),
      expect.objectContaining({ action_id: 'deny', value: request.id }),
    ]);
    const text = JSON.stringify(call.args.blocks);
    for (const shown of [
      'prod-db-admin',
      'postgres://prod/payments',
      'corp:alice',
      'INC-1',
      '15m',
      '0 of 1',
      `http://127.0.0.1:3999/requests/${request.id}`,
    ])
      expect(text).toContain(shown);
  });

  it('refuses a bad signature and a stale timestamp with 401', async () => {
    const request = await createRequest(broker, 'alice');
    const forged = signedClick('not-the-secret', {
      team: TEAM,
      user: 'U0ERIN',
      action: 'approve',
      requestId: request.id,
    });
    const bad = await send(forged).expect(401);
    expect(bad.body.error).toBe('unauthenticated');

    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    const old = await click('U0ERIN', 'approve', request.id, stale).expect(401);
    expect(old.body.error).toBe('unauthenticated');

    const tampered = signedClick(SECRET, {
      team: TEAM,
      user: 'U0ERIN',
      action: 'approve',
      requestId: request.id,
    });
    await send({ ...tampered, body: tampered.body.replace('approve', 'deny') }).expect(401);
    await broker.http.post('/v1/slack/interactions').send({ payload: '{}' }).expect(401);

    const view = await (await as(broker, 'alice')).get(`/v1/requests/${request.id}`).expect(200);
    expect(view.body).toMatchObject({ status: 'pending', approvals: [] });
  });

  it('refuses an unmapped clicker, in words and in the audit log', async () => {
    const request = await createRequest(broker, 'alice');
    const response = await click('U0NOBODY', 'approve', request.id).expect(200);
    expect(response.body).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: expect.stringContaining('not linked') as string,
    });
    const events = await auditTrail(broker, { actor: `slack:${TEAM}/U0NOBODY` });
    expect(events).toEqual([
      expect.objectContaining({
        type: 'approval.refused',
        data: expect.objectContaining({ reason: 'slack_user_unmapped', requestId: request.id }),
      }),
    ]);
  });

  it("refuses the requester's own click as self_approval", async () => {
    const request = await createRequest(broker, 'alice');
    const response = await click('U0ALICE', 'approve', request.id).expect(200);
    expect(response.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(response.body.text).toMatch(/self_approval.*your own request/);

    // Slack shows the clicker only what is posted to the click's response_url.
    const responseUrl = slack.responseUrl(`refusal-${request.id}`);
    const signed = signedClick(SECRET, {
      team: TEAM,
      user: 'U0ALICE',
      action: 'deny',
      requestId: request.id,
      responseUrl,
    });
    await broker.http
      .post('/v1/slack/interactions')
      .set(signed.headers)
      .send(signed.body)
      .expect(200);
    const posted = await eventually(
      () => slack.callsOf(`/response/refusal-${request.id}`)[0],
      3000,
    );
    expect(posted.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(posted.args.text)).toMatch(/self_approval/);
    const { refused } = await refusalsOf(broker, { requestId: request.id });
    // Both clicks (approve, then deny) are refused and audited.
    expect(refused).toEqual([
      expect.objectContaining({ type: 'approval.refused', reason: 'self_approval' }),
      expect.objectContaining({ type: 'approval.refused', reason: 'self_approval' }),
    ]);
  });

  it('judges a clicker by its directory groups only (no token)', async () => {
    const request = await createRequest(broker, 'alice');
    const response = await click('U0BOB', 'approve', request.id).expect(200);
    // As over the API, a request one may not act on is one that does not exist (404).
    expect(response.body.text).toMatch(/not_found.*not one of its approvers/);
    const refusals = (await auditTrail(broker, { actor: 'corp:bob' })).filter(
      (e) => e.type === 'approval.refused' && e.data.requestId === request.id,
    );
    expect(refusals).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ code: 'not_found' }) }),
    ]);
    const view = await (await as(broker, 'alice')).get(`/v1/requests/${request.id}`).expect(200);
    expect(view.body.status).toBe('pending');
  });

  it("approves on an approver's click and updates the message to show who approved", async () => {
    const request = await createRequest(broker, 'alice');
    await posted(request.id);
    const response = await click('U0ERIN', 'approve', request.id).expect(200);
    expect(response.body.text).toMatch(/approved/);
    const view = await (await as(broker, 'alice')).get(`/v1/requests/${request.id}`).expect(200);
    expect(view.body).toMatchObject({
      status: 'approved',
      approvals: [{ approver: 'corp:erin', comment: 'approved in Slack' }],
    });
    // The channel's message (approvers' DMs are posted and updated beside it, in any order).
    const inChannel = (method: string) => slack.channelCall(method, request.id);
    const update = await eventually(() => inChannel('chat.update'), 5000);
    expect(update.args).toMatchObject({
      channel: 'C0123456',
      ts: inChannel('chat.postMessage')?.ts,
    });
    const shown = JSON.stringify(update.args.blocks);
    expect(shown).toContain('Approved by corp:erin');
    expect(shown).toContain('1 of 1 (corp:erin)');
    expect(buttons(update).filter((b) => b.action_id === 'approve')).toEqual([]);
  });

  it('counts a replayed click once', async () => {
    const request = await createRequest(broker, 'alice', { role: 'two-person' });
    const signed = signedClick(SECRET, {
      team: TEAM,
      user: 'U0ERIN',
      action: 'approve',
      requestId: request.id,
    });
    await send(signed).expect(200);
    const again = await send(signed).expect(200);
    expect(again.body.text).toMatch(/pending \(1 of 2/);
    expect(await countByType(broker, request.id)).toMatchObject({ 'approval.recorded': 1 });

    await click('U0CAROL', 'approve', request.id).expect(200);
    const late = await send(signed).expect(200);
    expect(late.body.text).toMatch(/invalid_state|request_approved/);
    const counts = await countByType(broker, request.id);
    expect(counts).toMatchObject({ 'approval.recorded': 2, 'request.approved': 1 });
  });

  it('denies on a click and updates the message', async () => {
    const request = await createRequest(broker, 'alice');
    await posted(request.id);
    await click('U0CAROL', 'deny', request.id).expect(200);
    const view = await (await as(broker, 'alice')).get(`/v1/requests/${request.id}`).expect(200);
    expect(view.body.status).toBe('denied');
    const update = await eventually(() => slack.channelCall('chat.update', request.id), 5000);
    expect(JSON.stringify(update.args.blocks)).toContain('Denied by corp:carol');
  });

  it('takes a click at its path spelled with a trailing slash, as the router does', async () => {
    const request = await createRequest(broker, 'alice');
    const signed = signedClick(SECRET, {
      team: TEAM,
      user: 'U0CAROL',
      action: 'deny',
      requestId: request.id,
    });
    const answer = await broker.http
      .post('/v1/slack/interactions/')
      .set(signed.headers)
      .send(signed.body)
      .expect(200);
    expect(answer.body.text).toContain('is denied');
  });

  it('updates the message when the requester cancels', async () => {
    const request = await createRequest(broker, 'alice');
    await posted(request.id);
    await (await as(broker, 'alice')).post(`/v1/requests/${request.id}/cancel`).expect(200);
    const update = await eventually(() => slack.channelCall('chat.update', request.id), 5000);
    expect(JSON.stringify(update.args.blocks)).toContain('Cancelled by corp:alice');
  });

  it('updates the message when the credential is issued', async () => {
    const request = await createRequest(broker, 'alice');
    await posted(request.id);
    await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
    await (await as(broker, 'alice')).post(`/v1/requests/${request.id}/credentials`).expect(201);
    const issued = await eventually(
      () =>
        slack
          .callsFor('chat.update', request.id)
          .find((c) => JSON.stringify(c.args.blocks).includes('Credential issued to corp:alice')),
      5000,
    );
    expect(JSON.stringify(issued.args.blocks)).toContain('is *issued*');
  });

  it('never fails or delays a request while Slack is down, and retries', async () => {
    slack.failing = true;
    const started = Date.now();
    const request = await createRequest(broker, 'alice');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(request.status).toBe('pending');
    await eventually(
      () => (slack.callsFor('chat.postMessage', request.id).length >= 2 ? true : undefined),
      5000,
    );
  });
});

describe('the Slack endpoint', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });

  afterAll(async () => {
    await issuer.close();
  });

  it('does not exist unless Slack is configured', async () => {
    const broker = await startBroker({ kind: 'sqlite', issuer });
    try {
      const signed = signedClick(SECRET, {
        team: TEAM,
        user: 'U0ERIN',
        action: 'approve',
        requestId: '00000000-0000-4000-8000-000000000000',
      });
      await broker.http
        .post('/v1/slack/interactions')
        .set(signed.headers)
        .send(signed.body)
        .expect(404);
    } finally {
      await broker.close();
    }
  });

  it('creates requests while the Slack API is unreachable', async () => {
    const closed = await FakeSlack.start();
    const apiUrl = closed.apiUrl;
    await closed.close();
    const broker = await startBroker({
      kind: 'sqlite',
      issuer,
      yaml: testConfigYaml(issuer, slackYaml(apiUrl)),
      env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT_TOKEN },
    });
    try {
      const request = await createRequest(broker, 'alice');
      expect(request.status).toBe('pending');
    } finally {
      await broker.close();
    }
  });
});
