import type { DataSource } from 'typeorm';
import { NotificationRow } from '#persistence';
import { DATA_SOURCE } from '../../libs/access/src/wiring/tokens.js';
import { DATABASE_KINDS } from '../support/databases.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { FakeSlack } from '../support/fake-slack.js';
import type { SlackCall } from '../support/fake-slack.js';
import { as, createRequest, eventually } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

const TEAM = 'T0001';

// Everyone has a Slack account. frank and frank.alt are one person (aliases in the test config);
// bob-bot is owned by bob.
const slackYaml = (apiUrl: string) => `
slack:
  signingSecret: test-signing-secret
  botToken: xoxb-test-bot-token
  channel: C0123456
  apiUrl: ${apiUrl}
  users:
    "${TEAM}/U0ALICE": "corp:alice"
    "${TEAM}/U0BOB": "corp:bob"
    "${TEAM}/U0CAROL": "corp:carol"
    "${TEAM}/U0DAVE": "corp:dave"
    "${TEAM}/U0ERIN": "corp:erin"
    "${TEAM}/U0FRANK": "corp:frank"
    "${TEAM}/U0FRANKALT": "corp:frank.alt"
    "${TEAM}/U0GONE": "corp:gone"
`;

const text = (call: SlackCall) => JSON.stringify(call.args);

describe.each(DATABASE_KINDS)('notifications by Slack on %s', (kind) => {
  let issuer: TestIssuer;
  let slack: FakeSlack;
  let broker: TestBroker;
  let outbox: () => Promise<NotificationRow[]>;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    slack = await FakeSlack.start();
    // `identity` separation lets linked people approve: they are still never asked to.
    const yaml = testConfigYaml(issuer, slackYaml(slack.apiUrl))
      .replace('separation: strict', 'separation: identity')
      .replace('"corp:erin": [sre-leads]', '"corp:erin": [sre-leads]\n  "corp:gone": [sre-leads]');
    broker = await startBroker({ kind, issuer, yaml });
    // bob and frank are approvers by their tokens' groups: countersign learns them when they sign in.
    for (const user of ['bob', 'frank'])
      await (await as(broker, user)).get('/v1/roles').expect(200);
    slack.unknownUsers.add('U0GONE');
    const db = broker.app.get<DataSource>(DATA_SOURCE);
    outbox = () => db.getRepository(NotificationRow).find();
  });

  afterAll(async () => {
    await broker.close();
    await slack.close();
    await issuer.close();
  });

  it('DMs each eligible approver, never the requester or anyone linked to them', async () => {
    const request = await createRequest(broker, 'frank.alt');
    for (const user of ['U0BOB', 'U0CAROL', 'U0ERIN']) {
      const dm = await eventually(
        () => slack.directMessagesTo(user).find((c) => text(c).includes(request.id)),
        5000,
      );
      expect(text(dm)).toContain('Approve');
      expect(text(dm)).toContain(`http://127.0.0.1:3999/requests/${request.id}`);
    }
    await eventually(
      () =>
        slack.callsFor('chat.postMessage', request.id).find((c) => c.args.channel === 'C0123456'),
      5000,
    );
    // frank is frank.alt under another id; alice and dave are no approvers (dave only by admin).
    for (const user of ['U0FRANK', 'U0FRANKALT', 'U0ALICE', 'U0DAVE'])
      expect(slack.directMessagesTo(user).filter((c) => text(c).includes(request.id))).toEqual([]);
    // An unknown Slack user is given up and recorded as such; the others are sent.
    const rows = await eventually(async () => {
      const mine = (await outbox()).filter((row) => row.requestId === request.id);
      return mine.every((row) => row.nextAttemptAt === null) ? mine : undefined;
    }, 5000);
    expect(rows.filter((row) => row.failedAt !== null)).toEqual([
      expect.objectContaining({ recipient: `${TEAM}/U0GONE`, lastError: 'user_not_found' }),
    ]);
    expect(rows.filter((row) => row.sentAt !== null)).toHaveLength(4);
  });

  it('updates the other approvers’ DMs when someone decides, and tells the requester who denied and why', async () => {
    const request = await createRequest(broker, 'alice');
    const carolDm = await eventually(
      () => slack.directMessagesTo('U0CAROL').find((c) => text(c).includes(request.id)),
      5000,
    );
    await (
      await as(broker, 'bob')
    )
      .post(`/v1/requests/${request.id}/deny`, { reason: 'not during the freeze <!here>' })
      .expect(200);
    const updated = await eventually(
      () =>
        slack
          .callsOf('chat.update')
          .find(
            (c) =>
              c.args.channel === 'DU0CAROL' &&
              c.args.ts === carolDm.ts &&
              text(c).includes('denied'),
          ),
      5000,
    );
    expect(text(updated)).toContain('Denied by corp:bob');
    expect(text(updated)).not.toContain('"action_id":"approve"');
    const outcome = await eventually(
      () => slack.directMessagesTo('U0ALICE').find((c) => text(c).includes(request.id)),
      5000,
    );
    expect(text(outcome)).toContain('denied by corp:bob');
    expect(text(outcome)).toContain('not during the freeze &lt;!here&gt;');
  });

  it('tells the requester of approval and issue, and updates the channel message when the grant ends', async () => {
    const request = await createRequest(broker, 'alice');
    await (await as(broker, 'erin')).post(`/v1/requests/${request.id}/approve`).expect(200);
    const minted = await (
      await as(broker, 'alice')
    )
      .post(`/v1/requests/${request.id}/credentials`)
      .expect(201);
    const token = (minted.body as { credential: { token: string } }).credential.token;
    const grantId = (minted.body as { grantId: string }).grantId;
    await (
      await as(broker, 'alice')
    )
      .post(`/v1/grants/${grantId}/revoke`, { reason: 'done' })
      .expect(200);
    const told = await eventually(() => {
      const mine = slack.directMessagesTo('U0ALICE').filter((c) => text(c).includes(request.id));
      return mine.length >= 3 ? mine.map(text) : undefined;
    }, 5000);
    expect(told.some((t) => t.includes('approved by corp:erin'))).toBe(true);
    expect(told.some((t) => t.includes('issued to corp:alice'))).toBe(true);
    expect(told.some((t) => t.includes('revoked by corp:alice'))).toBe(true);
    await eventually(
      () =>
        slack
          .callsFor('chat.update', request.id)
          .find(
            (c) =>
              c.args.channel === 'C0123456' && text(c).includes('Access revoked by corp:alice'),
          ),
      5000,
    );
    for (const call of slack.calls) expect(text(call)).not.toContain(token);
  });
});
