import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { AuditEvent } from '#audit';
import { AuditLog, GENESIS_HASH, hashEvent } from '#audit';
import { LogKeys } from '#credentials';
import { UnitOfWork } from '#persistence';
import { run } from '../../apps/cli/src/run.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import { approvedRequest, as } from '../support/flow.js';
import { behindItsBack, tamperWithAuditLog } from '../support/tamper.js';
import { TestIssuer } from '../support/test-issuer.js';

/**
 * Checkpoints at most every second; waiting longer makes the next read sign a fresh one. (Real
 * time: on PostgreSQL the inline worker integrates too, by the system clock.)
 */
const AUDIT = `
audit:
  checkpointInterval: 1s
`;
const pastInterval = () => new Promise((resolve) => setTimeout(resolve, 1100));

interface OfflineJson {
  ok: boolean;
  events: number;
  head: string;
  checkpoint?: { size: number; rootHash: string };
  saved?: { size: number; rootHash: string };
  brokenAt?: number;
  reason?: string;
  detail?: string;
}

interface VerifyJson {
  ok: boolean;
  events: number;
  head: string;
  offline: OfflineJson;
  checkpointFile?: { path: string; saved: boolean };
}

class Capture {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe.each(DATABASE_KINDS)('countersign audit verify, offline, on %s', (kind) => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let broker: TestBroker;
  let url: string;
  let dir: string;
  let file: string;

  async function start(): Promise<void> {
    broker = await startBroker({ kind, issuer, database, yaml: testConfigYaml(issuer, AUDIT) });
    await broker.app.listen(0, '127.0.0.1');
    const { port } = (broker.app.getHttpServer() as Server).address() as AddressInfo;
    url = `http://127.0.0.1:${port}`;
  }

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    database = await freshDatabase(kind);
    dir = await mkdtemp(join(tmpdir(), 'countersign-log-'));
    file = join(dir, 'checkpoint.txt');
    await start();
  });

  afterAll(async () => {
    await broker.close();
    await database.drop();
    await issuer.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The CLI in-process as dave (an admin), every path it asked the broker for recorded. */
  async function verify(...args: string[]) {
    const stdout = new Capture();
    const stderr = new Capture();
    const asked: string[] = [];
    const env = {
      XDG_CONFIG_HOME: dir,
      COUNTERSIGN_URL: url,
      COUNTERSIGN_TOKEN: await broker.token('dave'),
    };
    const recording: typeof fetch = (input, init) => {
      const target = new URL(input instanceof Request ? input.url : String(input));
      asked.push(`${target.pathname}${target.search}`);
      return fetch(input, init);
    };
    const code = await run(['audit', 'verify', ...args], { stdout, stderr, env, fetch: recording });
    return {
      code,
      stdout: stdout.text,
      stderr: stderr.text,
      asked,
      json: () => JSON.parse(stdout.text) as VerifyJson,
    };
  }

  const brokerVerify = async () =>
    (await (await as(broker, 'dave')).get('/v1/audit/verify').expect(200)).body as {
      ok: boolean;
      events: number;
      reason?: string;
    };

  /** Events written as the broker writes them (pending, then integrated): past one page. */
  async function appendEvents(count: number): Promise<void> {
    const audit = broker.app.get(AuditLog);
    const uow = broker.app.get(UnitOfWork);
    await uow.run((tx) =>
      audit.appendMany(
        tx,
        Array.from({ length: count }, (_, i) => ({
          type: 'policy.changed' as const,
          actor: 'system',
          data: { n: i },
        })),
      ),
    );
  }

  async function allEvents(): Promise<AuditEvent[]> {
    const dave = await as(broker, 'dave');
    const events: AuditEvent[] = [];
    for (let cursor = ''; ;) {
      const page = (await dave.get(`/v1/audit?limit=200${cursor}`).expect(200)).body as {
        items: AuditEvent[];
        nextCursor?: string;
      };
      events.push(...page.items);
      if (!page.nextCursor) return events;
      cursor = `&cursor=${page.nextCursor}`;
    }
  }

  it('passes a fresh log, rehashing every event here, and saves its checkpoint', async () => {
    await approvedRequest(broker);
    await appendEvents(250);
    await pastInterval();

    const result = await verify('--json', '--checkpoint', file);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const body = result.json();
    const events = (await brokerVerify()).events;
    expect(events).toBeGreaterThan(250);
    expect(body).toMatchObject({
      ok: true,
      events,
      offline: { ok: true, events, checkpoint: { size: events } },
      checkpointFile: { path: file, saved: true },
    });
    expect(body.offline.head).toBe(body.head);
    const saved = await readFile(file, 'utf8');
    expect(saved).toBe((await (await as(broker, 'dave')).get('/v1/audit/checkpoint')).text);
    expect(saved.split('\n').slice(0, 2)).toEqual([broker.config.audit.origin, String(events)]);
    // The key, the checkpoint and every page of events, 200 at a time: nothing computed there.
    expect(result.asked).toEqual(
      expect.arrayContaining([
        '/.well-known/countersign-log-keys',
        '/v1/audit/checkpoint',
        '/v1/audit?limit=200',
        '/v1/audit?limit=200&cursor=200',
      ]),
    );
    expect(result.asked.filter((path) => path.startsWith('/v1/audit/proof/'))).toEqual([]);
  });

  it('proves the log only grew since the saved checkpoint, then saves the new one', async () => {
    const before = await readFile(file, 'utf8');
    const from = Number(before.split('\n')[1]);
    await approvedRequest(broker);
    await pastInterval();

    const result = await verify('--checkpoint', file);
    expect(result.code).toBe(0);
    const to = (await brokerVerify()).events;
    expect(to).toBeGreaterThan(from);
    expect(result.asked).toContain(`/v1/audit/proof/consistency?from=${from}&to=${to}`);
    expect(result.stdout).toContain(`offline check: ${to} events rehashed`);
    expect(result.stdout).toContain(
      `the log only grew since the saved checkpoint (size ${from}); checkpoint of size ${to} saved to ${file}`,
    );
    const after = await readFile(file, 'utf8');
    expect(after).not.toBe(before);
    expect(after.split('\n')[1]).toBe(String(to));
  });

  it('keeps proving across a log key rotation, and refuses a checkpoint no pinned key signed', async () => {
    const oldKeys = join(dir, 'old-keys.txt');
    await writeFile(oldKeys, (await broker.http.get('/.well-known/countersign-log-keys')).text);
    await broker.app.get(UnitOfWork).run((tx) => broker.app.get(LogKeys).rotate(tx));
    await approvedRequest(broker);
    await pastInterval();

    // The saved checkpoint was signed by the previous key, the latest by the new one.
    const rotated = await verify('--checkpoint', file);
    expect(rotated.stdout).toContain('the log only grew since the saved checkpoint');
    expect(rotated.code).toBe(0);

    // Pinned to the keys from before the rotation, the new checkpoint is not the log's.
    await approvedRequest(broker);
    await pastInterval();
    const before = await readFile(file, 'utf8');
    const pinned = await verify('--json', '--checkpoint', file, '--log-key', oldKeys);
    expect(pinned.code).toBe(14);
    expect(pinned.json().offline).toMatchObject({ ok: false, reason: 'checkpoint_invalid' });
    expect(await readFile(file, 'utf8')).toBe(before);
    const allKeys = join(dir, 'all-keys.txt');
    await writeFile(allKeys, (await broker.http.get('/.well-known/countersign-log-keys')).text);
    expect((await verify('--checkpoint', file, '--log-key', allKeys)).code).toBe(0);
  });

  it('reports a history rewritten consistently, checkpoints and all, that the broker cannot see', async () => {
    const saved = await readFile(file, 'utf8');
    const savedSize = Number(saved.split('\n')[1]);
    const events = await allEvents();
    await broker.close();
    // One event's actor changed, every later hash recomputed, the tree and the checkpoints
    // dropped: the broker rebuilds its tree from these events and signs a checkpoint of them.
    await behindItsBack(database, kind, async (connection, p) => {
      let prevHash = GENESIS_HASH;
      const rows: Array<[number, string, string, string]> = [];
      for (const { hash: original, ...event } of events) {
        const actor = event.seq === 2 ? 'corp:mallory' : event.actor;
        const hash = hashEvent({ ...event, actor, prevHash });
        if (hash !== original) rows.push([event.seq, actor, prevHash, hash]);
        prevHash = hash;
      }
      // One statement (UPDATE ... FROM a list of values, PostgreSQL and SQLite alike).
      const values = rows
        .map(
          (_, i) =>
            `(${p(4 * i + 1)}${kind === 'postgres' ? '::bigint' : ''}, ${p(4 * i + 2)}, ${p(4 * i + 3)}, ${p(4 * i + 4)})`,
        )
        .join(', ');
      await tamperWithAuditLog(
        connection,
        `WITH v(seq, actor, prev_hash, hash) AS (VALUES ${values})
         UPDATE audit_events SET actor = v.actor, prev_hash = v.prev_hash, hash = v.hash
         FROM v WHERE audit_events.seq = v.seq`,
        rows.flat(),
      );
      await tamperWithAuditLog(
        connection,
        `UPDATE audit_head SET hash = ${p(1)}, tree_size = 0 WHERE id = 1`,
        [prevHash],
      );
      await tamperWithAuditLog(connection, 'DELETE FROM audit_tiles');
      await tamperWithAuditLog(connection, 'DELETE FROM audit_checkpoints');
    });
    await start();

    // The broker's own check holds: its chain, tree and only checkpoint agree with each other.
    expect(await brokerVerify()).toMatchObject({ ok: true, events: events.length });
    // So does the offline check of the log alone: it is consistent, and signed by the log key.
    const alone = await verify('--json');
    expect(alone.code).toBe(0);
    expect(alone.json().offline).toMatchObject({ ok: true, checkpoint: { size: events.length } });

    const result = await verify('--json', '--checkpoint', file);
    expect(result.code).toBe(14);
    expect(result.json()).toMatchObject({
      ok: false,
      offline: {
        ok: false,
        reason: 'rewritten',
        detail: `log was rewritten since the saved checkpoint (size ${savedSize}): its events no longer hash to the saved root`,
      },
      checkpointFile: { path: file, saved: false },
    });
    expect(await readFile(file, 'utf8')).toBe(saved);

    const text = await verify('--checkpoint', file);
    expect(text.code).toBe(14);
    expect(text.stdout).toContain(
      `offline check: audit log BROKEN: log was rewritten since the saved checkpoint (size ${savedSize})`,
    );
    expect(text.stdout).toContain(`${file} left as it was`);
  });

  it('reports the newest events deleted, against the saved checkpoint and the log’s own', async () => {
    await rm(file);
    await pastInterval();
    expect((await verify('--checkpoint', file)).code).toBe(0);
    const size = Number((await readFile(file, 'utf8')).split('\n')[1]);
    const dataSource = broker.app.get<string, DataSource>('countersign:data-source');
    await tamperWithAuditLog(dataSource, `DELETE FROM audit_events WHERE seq > ${size - 3}`);

    const withSaved = await verify('--json', '--checkpoint', file);
    expect(withSaved.code).toBe(14);
    expect(withSaved.json().offline).toMatchObject({
      ok: false,
      events: size - 3,
      brokenAt: size - 2,
      reason: 'shorter',
      detail: `log is shorter than the saved checkpoint (size ${size}): ${size - 3} events`,
    });
    const alone = await verify('--json');
    expect(alone.code).toBe(14);
    expect(alone.json().offline).toMatchObject({
      reason: 'truncated',
      detail: `log is shorter than its checkpoint (size ${size}): ${size - 3} events`,
    });
  });

  it('refuses a saved checkpoint the log key did not sign, and leaves it', async () => {
    const forged = (await readFile(file, 'utf8')).replace(/\n(\d+)\n/, '\n1\n');
    await writeFile(file, forged);
    const result = await verify('--json', '--checkpoint', file);
    expect(result.code).toBe(14);
    expect(result.json().offline).toMatchObject({ reason: 'saved_checkpoint_invalid' });
    expect(result.json().offline.detail).toMatch(
      /^saved checkpoint does not verify with the log key/,
    );
    expect(await readFile(file, 'utf8')).toBe(forged);
  });
});
