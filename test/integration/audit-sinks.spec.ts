import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { AuditSink, SinkCheckpoint } from '#audit';
import {
  FileSink,
  SinkDeliverer,
  SyslogSink,
  WebhookSink,
  eventLeaf,
  leafHash,
  rootHash,
} from '#audit';
import { verifyWebhookSignature } from '#access';
import { auditSink } from '../../libs/access/src/wiring/audit-sinks.providers.js';
import { demoConfigYaml, parseConfig } from '#config';
import { FixedClock, systemClock } from '#domain';
import { UnitOfWork, openDatabase } from '#persistence';
import { testAuditLog } from '../support/audit-log.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import type { FreshDatabase } from '../support/databases.js';
import { eventually } from '../support/flow.js';
import { startRsyslog } from '../support/rsyslog.js';
import type { TestRsyslog } from '../support/rsyslog.js';

jest.setTimeout(60_000);

const FAST = { pollMs: 50, backoffMs: 50, maxBackoffMs: 200 };
const SECRET = 'sink-secret-of-at-least-16-chars';

interface Streamed {
  seqs: number[];
  checkpoints: SinkCheckpoint[];
  /** Each record's place: an event's seq, or `c<size>` for a checkpoint. */
  order: string[];
}

/** Reads records of the stream (an event's leaf JSON, or `{"checkpoint":...}`) in order. */
function streamed(jsons: readonly string[]): Streamed {
  const result: Streamed = { seqs: [], checkpoints: [], order: [] };
  for (const json of jsons) {
    const record = JSON.parse(json) as { seq?: number; checkpoint?: SinkCheckpoint };
    if (record.checkpoint) {
      result.checkpoints.push(record.checkpoint);
      result.order.push(`c${record.checkpoint.size}`);
    } else {
      result.seqs.push(record.seq!);
      result.order.push(String(record.seq));
    }
  }
  return result;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(DATABASE_KINDS)('audit sinks on %s', (kind) => {
  let database: FreshDatabase;
  let dataSource: DataSource;
  let uow: UnitOfWork;
  let log: ReturnType<typeof testAuditLog>;
  let scratch: string;
  const running: SinkDeliverer[] = [];

  /** `transactions` transactions of `perTransaction` events, each integrated (and checkpointed). */
  async function write(transactions: number, perTransaction: number): Promise<number> {
    for (let t = 0; t < transactions; t += 1) {
      await uow.run((tx) =>
        log.audit.appendMany(
          tx,
          Array.from({ length: perTransaction }, (_, i) => ({
            type: 'request.created' as const,
            actor: `corp:user-${t}`,
            data: { i, text: 'é ☃ "quoted" \n new line' },
          })),
        ),
      );
      await log.integrator.catchUp();
    }
    return head();
  }

  async function head(): Promise<number> {
    const [row] = await dataSource.query<Array<{ seq: string | number }>>(
      'SELECT MAX(seq) AS seq FROM audit_events',
    );
    return Number(row.seq);
  }

  async function keptCheckpoints(): Promise<SinkCheckpoint[]> {
    const rows = await dataSource.query<
      Array<{ size: string | number; root_hash: string; issued_at: string | number; note: string }>
    >('SELECT size, root_hash, issued_at, note FROM audit_checkpoints ORDER BY size');
    return rows.map((row) => ({
      size: Number(row.size),
      rootHash: row.root_hash,
      issuedAt: new Date(Number(row.issued_at)).toISOString(),
      note: row.note,
    }));
  }

  function start(sinks: AuditSink[], options = {}, on = uow, clock = systemClock) {
    const deliverer = new SinkDeliverer(on, sinks, clock, { ...FAST, ...options });
    deliverer.onApplicationBootstrap();
    running.push(deliverer);
    return deliverer;
  }

  const fileLines = (path: string) => {
    try {
      return readFileSync(path, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };

  /** The stream has every event to `upTo`, and every checkpoint to `upTo`. */
  async function complete(read: () => string[], upTo: number): Promise<string[]> {
    const kept = (await keptCheckpoints()).filter((c) => c.size <= upTo).length;
    return eventually(() => {
      const records = read();
      const { seqs, checkpoints } = streamed(records);
      return seqs.length >= upTo && checkpoints.length >= kept ? records : undefined;
    }, 20_000);
  }

  /** Every event once in seq order, every kept checkpoint once, right after its last event. */
  async function expectInOrder(records: string[], upTo: number): Promise<void> {
    const { seqs, checkpoints, order } = streamed(records);
    expect(seqs).toEqual(range(1, upTo));
    const kept = (await keptCheckpoints()).filter((c) => c.size <= upTo);
    expect(checkpoints).toEqual(kept);
    for (const checkpoint of checkpoints) {
      expect(order.indexOf(`c${checkpoint.size}`)).toBe(order.indexOf(String(checkpoint.size)) + 1);
    }
  }

  beforeAll(async () => {
    // The retries' warnings are expected here.
    Logger.overrideLogger(['error']);
    database = await freshDatabase(kind);
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    dataSource = await openDatabase(config.database);
    uow = new UnitOfWork(dataSource);
    log = testAuditLog(dataSource, uow);
    scratch = mkdtempSync(join(tmpdir(), 'countersign-sinks-'));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((deliverer) => deliverer.beforeApplicationShutdown()));
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('the file sink holds every event in seq order, each checkpoint after the events it covers, each line its Merkle leaf', async () => {
    const upTo = await write(7, 180);
    const path = join(scratch, 'ordered.jsonl');
    start([new FileSink('ordered', path)], { batchSize: 100 });
    const records = await complete(() => fileLines(path), upTo);
    await expectInOrder(records, upTo);
    // Each event line is byte for byte the leaf of the log's tree: its checkpoints verify.
    const { seqs, checkpoints } = streamed(records);
    const leaves = records.filter((_, i) => !records[i].startsWith('{"checkpoint"'));
    expect(leaves).toHaveLength(seqs.length);
    const hashes = leaves.map((line) => leafHash(Buffer.from(line, 'utf8')));
    for (const checkpoint of checkpoints) {
      expect(Buffer.from(rootHash(hashes.slice(0, checkpoint.size))).toString('base64')).toBe(
        checkpoint.rootHash,
      );
    }
    const listed = await log.list({ limit: 5 });
    expect(leaves.slice(0, 5)).toEqual(listed.map((event) => eventLeaf(event).toString('utf8')));

    // New events follow while it runs.
    const more = await write(2, 30);
    await expectInOrder(await complete(() => fileLines(path), more), more);
  });

  it('the syslog sink delivers every event, in order, as RFC 5424 over octet-counted TCP to a real rsyslogd', async () => {
    const upTo = await write(3, 150);
    let rsyslog: TestRsyslog | undefined;
    try {
      rsyslog = await startRsyslog();
      const syslog = rsyslog;
      const sink = auditSink({
        name: 'relay',
        type: 'syslog',
        host: '127.0.0.1',
        port: syslog.port,
        appName: 'countersign-test',
      });
      start([sink], { batchSize: 64 });
      const HEADER =
        /^<110>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) ([!-~]{1,255}) countersign-test - (event|checkpoint) - (.+)$/;
      const parsed = () =>
        syslog.messages().map((message) => {
          const match = HEADER.exec(message);
          if (!match) throw new Error(`not an RFC 5424 message of the sink: ${message}`);
          return { timestamp: match[1], msgid: match[3], json: match[4] };
        });
      const messages = await complete(() => parsed().map((m) => m.json), upTo);
      await expectInOrder(messages, upTo);
      const events = await log.list({ limit: upTo });
      for (const message of parsed()) {
        const record = JSON.parse(message.json) as { seq?: number; checkpoint?: SinkCheckpoint };
        if (record.checkpoint) {
          expect(message.msgid).toBe('checkpoint');
          expect(message.timestamp).toBe(record.checkpoint.issuedAt);
        } else {
          expect(message.msgid).toBe('event');
          const event = events[record.seq! - 1];
          expect(message.timestamp).toBe(event.at);
          // The non-ASCII and escaped characters arrive as written.
          expect(message.json).toBe(eventLeaf(event).toString('utf8'));
        }
      }
    } finally {
      await rsyslog?.stop();
    }
  });

  it('the webhook sink POSTs signed batches; a 500 is retried and the batch arrives later, in order', async () => {
    const upTo = await write(2, 120);
    const accepted: Array<{ events: Array<{ seq: number }>; checkpoints: SinkCheckpoint[] }> = [];
    let refused = 0;
    let badSignatures = 0;
    const server: Server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const signed = verifyWebhookSignature(
          SECRET,
          {
            timestamp: req.headers['x-countersign-timestamp'] as string,
            signature: req.headers['x-countersign-signature'] as string,
          },
          body,
        );
        if (!signed || req.headers['content-type'] !== 'application/json') {
          badSignatures += 1;
          res.writeHead(401).end();
          return;
        }
        // The first two deliveries fail: the same batch must come again.
        if (refused < 2) {
          refused += 1;
          res.writeHead(500).end();
          return;
        }
        accepted.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const deliverer = start(
        [
          auditSink({
            name: 'siem',
            type: 'webhook',
            url: `http://127.0.0.1:${port}/audit`,
            secret: SECRET,
            timeout: 5,
          }),
        ],
        { batchSize: 100 },
      );
      const failing = await eventually(async () => {
        const [status] = await deliverer.status();
        return status.lastError ? status : undefined;
      }, 10_000);
      expect(failing).toMatchObject({ name: 'siem', lastError: 'webhook answered HTTP 500' });
      expect(failing.lag).toBeGreaterThan(0);
      const records = await complete(
        () =>
          accepted.flatMap((batch) => [
            ...batch.events.map((event) => JSON.stringify(event)),
            ...batch.checkpoints.map((checkpoint) => JSON.stringify({ checkpoint })),
          ]),
        upTo,
      );
      expect(refused).toBe(2);
      expect(badSignatures).toBe(0);
      // The refused batch came first once accepted: nothing skipped, nothing reordered.
      expect(accepted[0].events[0].seq).toBe(1);
      expect(accepted.every((batch) => batch.events.length <= 100)).toBe(true);
      const { seqs, checkpoints } = streamed(records);
      expect(seqs).toEqual(range(1, upTo));
      expect(checkpoints).toEqual((await keptCheckpoints()).filter((c) => c.size <= upTo));
      // A batch's checkpoints cover only events delivered by then.
      let delivered = 0;
      for (const batch of accepted) {
        delivered = batch.events.at(-1)?.seq ?? delivered;
        for (const checkpoint of batch.checkpoints)
          expect(checkpoint.size).toBeLessThanOrEqual(delivered);
      }
      expect((await deliverer.status())[0]).toStrictEqual({
        name: 'siem',
        kind: 'webhook',
        lag: 0,
        behind: false,
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('two deliverers of one sink (two processes, or two apps in one on SQLite) deliver each event once, in order', async () => {
    const upTo = await write(4, 250);
    const path = join(scratch, 'shared.jsonl');
    let other: DataSource | undefined;
    try {
      // Another connection pool to the same database, as another process (or app) has.
      other = await openDatabase(
        dataSource.options.type === 'postgres'
          ? { type: 'postgres', url: database.url }
          : { type: 'sqlite', path: String(dataSource.options.database) },
      );
      const otherUow = new UnitOfWork(other);
      start([new FileSink('shared', path)], { batchSize: 25, pollMs: 5 });
      start([new FileSink('shared', path)], { batchSize: 25, pollMs: 5 }, otherUow);
      await expectInOrder(await complete(() => fileLines(path), upTo), upTo);
    } finally {
      await Promise.all(
        running.splice(0).map((deliverer) => deliverer.beforeApplicationShutdown()),
      );
      await other?.destroy();
    }
  });

  it('a sink that cannot deliver shows its lag, its error, and is behind once its oldest event waits too long', async () => {
    const upTo = await write(1, 10);
    const clock = new FixedClock(new Date());
    const port = await closedPort();
    const dead = new SyslogSink('dead', { host: '127.0.0.1', port, appName: 'x' });
    const path = join(scratch, 'healthy.jsonl');
    const deliverer = start(
      [
        dead,
        new WebhookSink('unreachable', {
          url: `http://127.0.0.1:${port}/`,
          sign: () => ({}),
          timeoutMs: 1000,
        }),
        new FileSink('healthy', path),
      ],
      { behindAfterMs: 60_000 },
      uow,
      clock,
    );
    await complete(() => fileLines(path), upTo);
    // The file holds every line a moment before the healthy sink's cursor commits: wait for both.
    const failing = await eventually(async () => {
      const statuses = await deliverer.status();
      return statuses[0].lastError && statuses[1].lastError && statuses[2].lag === 0
        ? statuses
        : undefined;
    }, 10_000);
    expect(failing[0]).toMatchObject({
      name: 'dead',
      kind: 'syslog',
      lag: upTo,
      behind: false,
      lastError: 'syslog delivery failed (ECONNREFUSED)',
    });
    expect(failing[1]).toMatchObject({ lastError: 'webhook POST failed (ECONNREFUSED)' });
    expect(failing[2]).toStrictEqual({ name: 'healthy', kind: 'file', lag: 0, behind: false });
    clock.advance(120);
    const later = await deliverer.status();
    expect(later[0]).toMatchObject({ lag: upTo, behind: true });
    expect(later[0].oldestUndeliveredSeconds).toBeGreaterThanOrEqual(120);
    expect(later[1]).toMatchObject({ name: 'unreachable', lag: upTo, behind: true });
    expect(later[2]).toMatchObject({ name: 'healthy', lag: 0, behind: false });
  });
});
