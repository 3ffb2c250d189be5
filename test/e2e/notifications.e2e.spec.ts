import type { DataSource } from 'typeorm';
import { NotificationRow } from '#persistence';
import { DATA_SOURCE } from '../../libs/access/src/wiring/tokens.js';
import { DATABASE_KINDS } from '../support/databases.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { FakeSlack } from '../support/fake-slack.js';
import { SmtpSink } from '../support/smtp-sink.js';
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

describe.each(DATABASE_KINDS)('notifications by email on %s', (kind) => {
  let issuer: TestIssuer;
  let smtp: SmtpSink;
  let broker: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    smtp = await SmtpSink.start();
    const emailYaml = `
email:
  smtp: ${smtp.url}
  from: countersign@example.com
emails:
  "corp:erin": erin@example.com
  "corp:frank": frank@example.com
`;
    broker = await startBroker({ kind, issuer, yaml: testConfigYaml(issuer, emailYaml) });
    // alice's address comes from the email claim of a verified token; mallory's claim is marked
    // unverified by its issuer and is never used.
    const withEmail = async (sub: string, groups: string[], email: string, verified: boolean) => {
      const token = await issuer.token(sub, {
        groups,
        claims: { email, email_verified: verified },
      });
      await broker.http.get('/v1/roles').set('authorization', `Bearer ${token}`).expect(200);
    };
    await withEmail('alice', ['engineering'], 'alice@example.com', true);
    await withEmail('carol', [], 'carol@evil.example', false);
  });

  afterAll(async () => {
    await broker.close();
    await smtp.close();
    await issuer.close();
  });

  it('emails the approvers whose decision is needed, never a linked identity', async () => {
    const request = await createRequest(broker, 'frank.alt', {
      role: 'prod-db-admin',
      justification: 'INC-7 <b>urgent</b>',
    });
    const [mail] = await eventually(() => nonEmpty(smtp.to('erin@example.com')), 5000);
    expect(mail.mail.subject).toBe('Approval needed: prod-db-admin for corp:frank.alt');
    expect(mail.mail.from?.text).toBe('countersign@example.com');
    const link = `http://127.0.0.1:3999/requests/${request.id}`;
    expect(mail.mail.text).toContain(link);
    expect(mail.mail.html).toContain(`<a href="${link}">`);
    expect(mail.mail.html).toContain('INC-7 &lt;b&gt;urgent&lt;/b&gt;');
    expect(mail.mail.html).not.toContain('<b>urgent');
    expect(mail.mail.messageId).toMatch(/^<[0-9a-f]{64}@127\.0\.0\.1>$/);
    // frank is frank.alt's alias; carol's only address is unverified.
    expect(smtp.to('frank@example.com')).toEqual([]);
    expect(smtp.to('carol@evil.example')).toEqual([]);
  });

  it('tells the requester who denied and why, and every later outcome', async () => {
    const denied = await createRequest(broker, 'alice');
    await (
      await as(broker, 'erin')
    )
      .post(`/v1/requests/${denied.id}/deny`, { reason: 'use the read-only role <i>please</i>' })
      .expect(200);
    const [mail] = await eventually(
      () => nonEmpty(smtp.to('alice@example.com').filter((m) => m.mail.text?.includes(denied.id))),
      5000,
    );
    expect(mail.mail.subject).toBe('Denied: prod-db-admin');
    expect(mail.mail.text).toContain(
      'was denied by corp:erin. Reason: use the read-only role <i>please</i>',
    );
    expect(mail.mail.html).toContain('Reason: use the read-only role &lt;i&gt;please&lt;/i&gt;');

    const approved = await createRequest(broker, 'alice');
    await (await as(broker, 'erin')).post(`/v1/requests/${approved.id}/approve`).expect(200);
    const minted = await (
      await as(broker, 'alice')
    )
      .post(`/v1/requests/${approved.id}/credentials`)
      .expect(201);
    const { grantId, credential } = minted.body as {
      grantId: string;
      credential: { token: string };
    };
    await (
      await as(broker, 'alice')
    )
      .post(`/v1/grants/${grantId}/revoke`, { reason: 'done' })
      .expect(200);
    const subjects = await eventually(() => {
      const about = smtp.to('alice@example.com').filter((m) => m.mail.text?.includes(approved.id));
      return about.length >= 3 ? about.map((m) => m.mail.subject).sort() : undefined;
    }, 5000);
    expect(subjects).toEqual([
      'Approved: prod-db-admin',
      'Issued: prod-db-admin',
      'Revoked: prod-db-admin',
    ]);
    for (const { mail: sent } of smtp.received) {
      expect(`${sent.text ?? ''}${String(sent.html)}`).not.toContain(credential.token);
    }
  });
});

const nonEmpty = <T>(list: T[]) => (list.length > 0 ? list : undefined);
