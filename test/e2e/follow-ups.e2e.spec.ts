import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { IsNull, Not } from 'typeorm';
import { NotificationRow } from '#persistence';
import type { FollowUpCounts } from '#access';
import { FollowUps } from '#access';
import { FixedClock } from '#domain';
import { DATA_SOURCE } from '../../libs/access/src/wiring/tokens.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import type { SlackCall } from '../support/fake-slack.js';
import { FakeSlack } from '../support/fake-slack.js';
import { as, eventually } from '../support/flow.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { TestIssuer } from '../support/test-issuer.js';

const TEAM = 'T0001';
const HOUR = 3600;

// frank.alt asks; frank is the same person (aliases in the test config) and is named in
// escalateTo, as is the CTO. carol is the role's one approver.
const followUpYaml = (slackUrl: string, smtpUrl: string) => `    - name: escalating
      resource: https://esc.example.com
      actions: [run]
      maxDuration: 1h
      requestTimeout: 8h
      requesters: { groups: [engineering] }
      approvers: { principals: ["corp:carol"] }
      remindAfter: 1h
      escalateAfter: 2h
      escalateTo: { principals: ["corp:cto", "corp:frank"] }
      warnBefore: 10m
slack:
  signingSecret: test-signing-secret
  botToken: xoxb-test-bot-token
  channel: C0123456
  apiUrl: ${slackUrl}
  users:
    "${TEAM}/U0CAROL": "corp:carol"
    "${TEAM}/U0CTO": "corp:cto"
    "${TEAM}/U0FRANK": "corp:frank"
    "${TEAM}/U0FRANKALT": "corp:frank.alt"
email:
  smtp: ${smtpUrl}
  from: countersign@example.com
emails:
  "corp:carol": carol@example.com
  "corp:cto": cto@example.com
  "corp:frank": frank@example.com
  "corp:frank.alt": frank@example.com
`;

const text = (call: SlackCall) => JSON.stringify(call.args);
const none: FollowUpCounts = { reminded: 0, escalated: 0, warned: 0, purged: 0 };

describe.each(DATABASE_KINDS)('reminders, escalation and end warnings on %s', (kind) => {
  const clock = new FixedClock(new Date());
  let issuer: TestIssuer;
  let slack: FakeSlack;
  let smtp: SmtpSink;
  let broker: TestBroker;
  let followUps: FollowUps;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    slack = await FakeSlack.start();
    smtp = await SmtpSink.start();
    const yaml = testConfigYaml(issuer, followUpYaml(slack.apiUrl, smtp.url));
    broker = await startBroker({ kind, issuer, clock, yaml });
    followUps = broker.app.get(FollowUps);
  });

  afterAll(async () => {
    await broker.close();
    await slack.close();
    await smtp.close();
    await issuer.close();
  });

  /** Slack DMs and emails about the request, to one person. */
  const dmsTo = (user: string, id: string) =>
    slack.directMessagesTo(user).filter((call) => text(call).includes(id));
  const mailsTo = (address: string, id: string) =>
    smtp.to(address).filter((mail) => mail.mail.text?.includes(id));

  it('reminds at remindAfter, escalates at escalateAfter, and the escalated approver decides', async () => {
    const created = clock.now().getTime();
    const at = (seconds: number) => clock.set(new Date(created + seconds * 1000));
    const requester = await as(broker, 'frank.alt', ['engineering']);
    const response = await requester
      .post('/v1/requests', { role: 'escalating', justification: 'INC-9' })
      .expect(201);
    const id = (response.body as { id: string }).id;
    await eventually(() => (dmsTo('U0CAROL', id).length === 1 ? true : undefined), 5000);
    const cto = await as(broker, 'cto');
    const frank = await as(broker, 'frank', []);

    // Not before: one second short of an hour, nothing is due.
    at(HOUR - 1);
    expect(await followUps.sweep()).toEqual(none);
    await cto.post(`/v1/requests/${id}/approve`).expect(404);

    // The first reminder, to carol only, once however often the task runs.
    at(HOUR);
    expect(await followUps.sweep()).toEqual({ ...none, reminded: 1 });
    expect(await followUps.sweep()).toEqual(none);
    const subjects = await eventually(() => {
      const about = mailsTo('carol@example.com', id).map((m) => m.mail.subject);
      return about.length === 2 ? about : undefined;
    }, 5000);
    expect(subjects).toContain('Reminder: approval needed: escalating for corp:frank.alt');
    await eventually(() => (dmsTo('U0CAROL', id).length === 2 ? true : undefined), 5000);
    expect(text(dmsTo('U0CAROL', id)[1])).toContain('Reminder: approval needed');

    // Escalation at two hours, with the second reminder; one second before, neither.
    at(2 * HOUR - 1);
    expect(await followUps.sweep()).toEqual(none);
    at(2 * HOUR);
    expect(await followUps.sweep()).toEqual({ ...none, reminded: 1, escalated: 1 });
    expect(await followUps.sweep()).toEqual(none);
    const asked = await eventually(() => nonEmpty(dmsTo('U0CTO', id)), 5000);
    expect(text(asked[0])).toContain('"action_id":"approve"');
    const [mail] = await eventually(() => nonEmpty(mailsTo('cto@example.com', id)), 5000);
    expect(mail.mail.subject).toBe(
      'Escalated to you: approval needed: escalating for corp:frank.alt',
    );
    // The second reminder reaches the CTO too, now an approver still needed.
    await eventually(() => (dmsTo('U0CAROL', id).length === 3 ? true : undefined), 5000);
    await eventually(() => (dmsTo('U0CTO', id).length === 2 ? true : undefined), 5000);
    const db = broker.app.get<DataSource>(DATA_SOURCE);
    const events = await db.query<{ type: string; actor: string }[]>(
      `SELECT type, actor FROM audit_events WHERE request_id = '${id}' AND type = 'request.escalated'`,
    );
    expect(events).toEqual([{ type: 'request.escalated', actor: 'system' }]);
    const view = (await cto.get(`/v1/requests/${id}`).expect(200)).body as {
      escalatedAt: string;
      links?: { web: string };
    };
    expect(view.escalatedAt).toBe(new Date(created + 2 * HOUR * 1000).toISOString());
    expect(view.links?.web).toContain(id);
    const pending = (await cto.get('/v1/requests?toApprove=true').expect(200)).body as {
      items: { id: string }[];
    };
    expect(pending.items.map((item) => item.id)).toContain(id);

    // frank is named in escalateTo but is the requester under another id: never asked, refused.
    expect(dmsTo('U0FRANK', id)).toEqual([]);
    expect(
      smtp.to('frank@example.com').filter((m) => m.mail.subject?.includes('approval')),
    ).toEqual([]);
    const refused = await frank.post(`/v1/requests/${id}/approve`).expect(403);
    expect(refused.body).toMatchObject({ error: 'separation_of_duties' });

    // The CTO's approval completes the request, and counts at mint.
    const approved = await cto.post(`/v1/requests/${id}/approve`).expect(200);
    expect(approved.body).toMatchObject({ status: 'approved' });
    await requester.post(`/v1/requests/${id}/credentials`).expect(201);
    at(3 * HOUR);
    expect(await followUps.sweep()).toEqual(none);
  });

  it('warns the recipient once, warnBefore before its grant ends', async () => {
    const requester = await as(broker, 'frank.alt', ['engineering']);
    const response = await requester
      .post('/v1/requests', { role: 'escalating', justification: 'INC-10', duration: '30m' })
      .expect(201);
    const id = (response.body as { id: string }).id;
    await (await as(broker, 'carol')).post(`/v1/requests/${id}/approve`).expect(200);
    const minted = await requester.post(`/v1/requests/${id}/credentials`).expect(201);
    const expiresAt = new Date((minted.body as { expiresAt: string }).expiresAt).getTime();

    clock.set(new Date(expiresAt - 10 * 60 * 1000 - 1000));
    expect(await followUps.sweep()).toEqual(none);
    clock.set(new Date(expiresAt - 10 * 60 * 1000));
    expect(await followUps.sweep()).toEqual({ ...none, warned: 1 });
    clock.set(new Date(expiresAt - 60 * 1000));
    expect(await followUps.sweep()).toEqual(none);
    const warned = await eventually(
      () => nonEmpty(dmsTo('U0FRANKALT', id).filter((call) => text(call).includes('Ending soon'))),
      5000,
    );
    expect(warned).toHaveLength(1);
    expect(text(warned[0])).toContain(new Date(expiresAt).toISOString());
    const mails = await eventually(
      () =>
        nonEmpty(
          mailsTo('frank@example.com', id).filter((m) => m.mail.subject?.startsWith('Ending')),
        ),
      5000,
    );
    expect(mails.map((m) => m.mail.subject)).toEqual(['Ending soon: escalating']);
  });

  it('purges notifications sent more than 7 days ago, and keeps the rest', async () => {
    const db = broker.app.get<DataSource>(DATA_SOURCE);
    const outbox = db.getRepository(NotificationRow);
    // Everything so far was sent; one more, still owed, must survive any purge.
    await eventually(
      async () =>
        (await outbox.countBy({ sentAt: IsNull(), failedAt: IsNull() })) === 0 ? true : undefined,
      5000,
    );
    const sent = await outbox.find({ where: { sentAt: Not(IsNull()) }, order: { sentAt: 'DESC' } });
    const owed = await outbox.save({
      ...sent[0],
      id: randomUUID(),
      idempotencyKey: 'f'.repeat(64),
      sentAt: null,
      nextAttemptAt: new Date(clock.now().getTime() + 365 * 24 * HOUR * 1000),
    });
    const newest = sent[0].sentAt!.getTime();
    const last = sent.filter((row) => row.sentAt!.getTime() === newest).length;
    expect(last).toBeLessThan(sent.length);
    // Exactly 7 days after the newest send, only the older ones go; a millisecond later, all.
    clock.set(new Date(newest + 7 * 24 * HOUR * 1000));
    expect((await followUps.sweep()).purged).toBe(sent.length - last);
    clock.set(new Date(newest + 7 * 24 * HOUR * 1000 + 1));
    expect((await followUps.sweep()).purged).toBe(last);
    expect((await outbox.find()).map((row) => row.id)).toEqual([owed.id]);
  });
});

const nonEmpty = <T>(list: T[]) => (list.length > 0 ? list : undefined);
