import { jest } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { NotificationRow } from '#persistence';
import { DATA_SOURCE } from '../../libs/access/src/wiring/tokens.js';
import type { TestBroker } from '../support/broker.js';
import { TEST_ENCRYPTION_KEY, startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { TEST_REDIS_URL, freshDatabase } from '../support/databases.js';
import { FakeSlack } from '../support/fake-slack.js';
import { createRequest, eventually } from '../support/flow.js';
import { buildOnce } from '../support/processes.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(90_000);

const TEAM = 'T0001';
// Each request owes five messages: the channel message, and a Slack DM and an email to each of
// its two approvers (carol by name, erin by the directory). Six requests owe 30; a claim takes 20.
const REQUESTS = 6;
const PER_REQUEST = 5;
const CLAIM = 20;

const yamlFor = (issuer: TestIssuer, slack: FakeSlack, smtp: SmtpSink) =>
  testConfigYaml(
    issuer,
    `
slack:
  signingSecret: test-signing-secret
  botToken: xoxb-test-bot-token
  channel: C0123456
  apiUrl: ${slack.apiUrl}
  users:
    "${TEAM}/U0ALICE": "corp:alice"
    "${TEAM}/U0CAROL": "corp:carol"
    "${TEAM}/U0ERIN": "corp:erin"
email:
  smtp: ${smtp.url}
  from: countersign@example.com
emails:
  "corp:carol": carol@example.com
  "corp:erin": erin@example.com
`,
  ).replace('sweepInterval: 30s', 'sweepInterval: 30s\n  worker: external');

/**
 * The outbox's promise (docs/notifications.md), with the worker killed: every message committed
 * is delivered; one is delivered twice only if the process died after the channel accepted it and
 * before the send was recorded. The broker (in this process, `worker: external`) writes the
 * outbox; workers in child processes deliver it.
 */
describe('notifications survive a SIGKILLed worker (PostgreSQL)', () => {
  let issuer: TestIssuer;
  let slack: FakeSlack;
  let smtp: SmtpSink;
  let database: FreshDatabase;
  let broker: TestBroker;
  let scratch: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    buildOnce();
    issuer = await TestIssuer.start();
    slack = await FakeSlack.start();
    smtp = await SmtpSink.start();
    database = await freshDatabase('postgres');
    broker = await startBroker({
      kind: 'postgres',
      issuer,
      database,
      yaml: yamlFor(issuer, slack, smtp),
    });
    scratch = mkdtempSync(join(tmpdir(), 'countersign-notify-kill-'));
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await broker.close();
    await database.drop();
    await slack.close();
    await smtp.close();
    await issuer.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function startWorker(name: string): Promise<ChildProcess> {
    const ready = join(scratch, `${name}.ready`);
    const child = spawn(process.execPath, ['test/support/children/notifying-worker.mjs'], {
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        COUNTERSIGN_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        TEST_QUEUE_PREFIX: database.queuePrefix,
        CHILD_CONFIG_YAML: yamlFor(issuer, slack, smtp),
        CHILD_READY: ready,
      },
      stdio: 'ignore',
    });
    children.push(child);
    await eventually(() => (existsSync(ready) ? true : undefined), 30_000);
    return child;
  }

  it('delivers each message once, twice only where the channel accepted it before the kill', async () => {
    const db = broker.app.get<DataSource>(DATA_SOURCE);
    const outbox = () => db.getRepository(NotificationRow).find();
    // Committed, not yet delivered: no worker runs while the requests are made.
    for (let i = 0; i < REQUESTS; i += 1) await createRequest(broker, 'alice');
    const owed = await outbox();
    expect(owed).toHaveLength(REQUESTS * PER_REQUEST);
    expect(owed.every((row) => row.sentAt === null && row.attempts === 0)).toBe(true);

    // The first worker claims a batch and sends it; Slack and SMTP hold every answer.
    slack.holding = true;
    smtp.holding = true;
    const first = await startWorker('first');
    await eventually(
      () => (slack.held.length + smtp.held.length === CLAIM ? true : undefined),
      20_000,
    );
    // Stopped, it cannot record anything: one channel post and one email are accepted now, the
    // answers waiting unread in its sockets; the other sends stay unanswered. Then it dies.
    first.kill('SIGSTOP');
    const acceptedPost = slack.held.find((held) => held.call.method === 'chat.postMessage');
    const acceptedMail = smtp.held[0];
    expect(acceptedPost).toBeDefined();
    expect(acceptedMail).toBeDefined();
    acceptedPost?.answer();
    acceptedMail.accept();
    const exited = new Promise((resolve) => first.once('exit', resolve));
    first.kill('SIGKILL');
    await exited;
    slack.holding = false;
    smtp.holding = false;
    slack.held = [];
    smtp.held = [];
    const afterKill = await outbox();
    expect(afterKill.filter((row) => row.attempts === 1)).toHaveLength(CLAIM);
    expect(afterKill.every((row) => row.sentAt === null)).toBe(true);

    // Another worker takes the leased rows once their lease lapses, and the rest at once.
    await startWorker('second');
    const sent = await eventually(async () => {
      const rows = await outbox();
      return rows.every((row) => row.sentAt !== null) ? rows : undefined;
    }, 30_000);
    expect(sent.filter((row) => row.failedAt !== null)).toEqual([]);
    // Claimed twice: the batch in flight at the kill; once: the rows the first never claimed.
    expect(sent.filter((row) => row.attempts === 2)).toHaveLength(CLAIM);
    expect(sent.filter((row) => row.attempts === 1)).toHaveLength(REQUESTS * PER_REQUEST - CLAIM);

    const twice = new Set([
      keyOfPost(sent, acceptedPost!.call.args),
      keyOfMail(sent, acceptedMail.mail.messageId),
    ]);
    for (const row of sent) {
      expect([row.channel, row.recipient, deliveries(row)]).toEqual([
        row.channel,
        row.recipient,
        twice.has(row.idempotencyKey) ? 2 : 1,
      ]);
    }
    // The email sent twice is one message to mail systems: the same Message-ID both times.
    const copies = smtp.received.filter((m) => m.mail.messageId === acceptedMail.mail.messageId);
    expect(copies).toHaveLength(2);
  });

  /** How many copies of this row's message the fakes accepted. */
  function deliveries(row: NotificationRow): number {
    if (row.channel === 'email') {
      return smtp.received.filter((m) => m.mail.messageId === `<${row.idempotencyKey}@127.0.0.1>`)
        .length;
    }
    const channel =
      row.channel === 'slack-channel' ? row.recipient : `D${row.recipient.split('/')[1]}`;
    return slack
      .callsOf('chat.postMessage')
      .filter(
        (call) =>
          call.answered === true &&
          call.args.channel === channel &&
          JSON.stringify(call.args).includes(row.requestId),
      ).length;
  }
});

/** The outbox row a Slack post was for: its channel and the request its message is about. */
function keyOfPost(rows: NotificationRow[], args: Record<string, unknown>): string {
  const text = JSON.stringify(args);
  const row = rows.find(
    (candidate) =>
      candidate.channel !== 'email' &&
      (candidate.channel === 'slack-channel'
        ? candidate.recipient === args.channel
        : `D${candidate.recipient.split('/')[1]}` === args.channel) &&
      text.includes(candidate.requestId),
  );
  if (!row) throw new Error('a post for no row of the outbox');
  return row.idempotencyKey;
}

function keyOfMail(rows: NotificationRow[], messageId: string | undefined): string {
  const row = rows.find((candidate) => `<${candidate.idempotencyKey}@127.0.0.1>` === messageId);
  if (!row) throw new Error('an email for no row of the outbox');
  return row.idempotencyKey;
}
