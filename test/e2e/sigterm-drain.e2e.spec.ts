import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { LogIntegrator } from '#audit';
import type { TestBroker } from '../support/broker.js';
import { TEST_ENCRYPTION_KEY, startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { TEST_REDIS_URL, freshDatabase } from '../support/databases.js';
import type { Call } from '../support/load.js';
import { poll, recordCall } from '../support/load.js';
import type { RunningProcess } from '../support/processes.js';
import { buildOnce, startProcess } from '../support/processes.js';
import type { MintedGrant } from '../support/flow.js';
import { eventually, mintQuickGrant } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

// The broker is told to stay serving, not ready, for this long after SIGTERM (SHUTDOWN_DELAY).
const DELAY_MS = 1000;
const DEADLINE_MS = 15_000;

/** Request, approve, mint, over and over, until `stop()`: each call recorded in `calls`. */
async function flows(
  url: string,
  tokens: { alice: string; bob: string },
  calls: Call[],
  stop: () => boolean,
): Promise<void> {
  while (!stop()) {
    const created = await recordCall(calls, 'create', `${url}/v1/requests`, {
      token: tokens.alice,
      body: { role: 'quick', duration: '5m' },
    });
    const id = created.body?.id as string | undefined;
    if (created.status !== 201 || !id) {
      await sleep(20);
      continue;
    }
    const approved = await recordCall(calls, 'approve', `${url}/v1/requests/${id}/approve`, {
      token: tokens.bob,
      body: {},
    });
    if (approved.status !== 200) continue;
    await recordCall(calls, 'mint', `${url}/v1/requests/${id}/credentials`, {
      token: tokens.alice,
      body: {},
    });
  }
}

async function existing(db: pg.Client, sql: string, ids: string[]): Promise<Set<string>> {
  const result = await db.query<{ id: string }>(sql, [ids]);
  return new Set(result.rows.map((row) => row.id));
}

describe('SIGTERM drains a broker under load (PostgreSQL + Redis, a separate process)', () => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let dir: string;
  let broker: RunningProcess | undefined;
  let db: pg.Client;

  beforeAll(async () => {
    buildOnce();
    issuer = await TestIssuer.start();
    database = await freshDatabase('postgres');
    dir = mkdtempSync(join(tmpdir(), 'countersign-drain-'));
    writeFileSync(join(dir, 'countersign.yaml'), testConfigYaml(issuer));
    broker = await startProcess('broker', {
      COUNTERSIGN_CONFIG: join(dir, 'countersign.yaml'),
      COUNTERSIGN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      TEST_QUEUE_PREFIX: database.queuePrefix,
      SHUTDOWN_DELAY: `${DELAY_MS / 1000}s`,
      SHUTDOWN_TIMEOUT: `${DEADLINE_MS / 1000}s`,
    });
    db = new pg.Client({ connectionString: database.url });
    db.on('error', () => undefined);
    await db.connect();
  }, 60_000);

  afterAll(async () => {
    await broker?.stop('SIGKILL');
    await db?.end();
    await database?.drop();
    await issuer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is not ready at once, answers what it accepted, loses no 2xx, and exits 0', async () => {
    const running = broker!;
    const tokens = {
      alice: await issuer.token('alice', { groups: ['engineering'] }),
      bob: await issuer.token('bob', { groups: ['sre-leads'] }),
    };
    let exited = false;
    void running.exited.then(() => (exited = true));
    // Clients keep calling a little after the exit, to see that nothing answers any more.
    let stopLoad = false;
    const calls: Call[] = [];
    const readiness: Call[] = [];
    const load = Promise.all([
      ...Array.from({ length: 6 }, () => flows(running.url, tokens, calls, () => stopLoad)),
      poll(readiness, 'ready', `${running.url}/health/ready`, () => stopLoad, 50),
      // Reads, which the lock below does not hold up.
      poll(calls, 'list', `${running.url}/v1/requests?limit=5`, () => stopLoad, 50, tokens.alice),
    ]);
    // Under way: full flows minted.
    await eventually(
      () =>
        calls.filter((call) => call.what === 'mint' && call.status === 201).length >= 3
          ? true
          : undefined,
      20_000,
    );

    // Writes to requests wait on this lock: the calls in flight at SIGTERM are still in flight
    // once the server has stopped accepting (DELAY_MS later), until the lock is released.
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE access_requests IN EXCLUSIVE MODE');
    await sleep(300);
    const signalledAt = Date.now();
    running.child.kill('SIGTERM');
    await sleep(DELAY_MS + 700);
    const releasedAt = Date.now();
    await locker.query('COMMIT');
    await locker.end();

    const exit = await running.stop('SIGTERM', DEADLINE_MS + 5000);
    await sleep(300);
    stopLoad = true;
    await load;
    broker = undefined;

    // Exits 0 well before the forced exit.
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalledAt).toBeLessThan(DEADLINE_MS);
    expect(exited).toBe(true);

    // Ready until the signal, 503 from it, before the exit.
    const before = readiness.filter((call) => call.endedAt < signalledAt);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((call) => call.status === 200)).toBe(true);
    const notReady = readiness.filter(
      (call) => call.startedAt >= signalledAt && call.status === 503,
    );
    expect(notReady.length).toBeGreaterThan(0);
    expect(notReady[0].endedAt).toBeLessThan(exit.at);
    expect(notReady[0].endedAt - signalledAt).toBeLessThan(DELAY_MS);
    expect(notReady[0].body).toMatchObject({
      status: 'error',
      error: { shutdown: { status: 'down' } },
    });

    // Requests sent before the signal were all answered, with a 2xx: blocked ones included.
    const accepted = calls.filter((call) => call.startedAt < signalledAt);
    expect(accepted.filter((call) => call.status === undefined)).toEqual([]);
    expect(accepted.every((call) => call.status! >= 200 && call.status! < 300)).toBe(true);
    const heldAcross = accepted.filter((call) => call.endedAt > releasedAt);
    expect(heldAcross.length).toBeGreaterThan(0);
    // Reads that came in during the delay were served too.
    const duringDelay = calls.filter(
      (call) => call.startedAt > signalledAt && call.endedAt < signalledAt + DELAY_MS - 100,
    );
    expect(duringDelay.some((call) => call.what === 'list' && call.status === 200)).toBe(true);
    // Afterwards: no answer at all, or 503; never another 5xx.
    for (const call of calls) {
      if (call.status !== undefined) expect([200, 201, 503]).toContain(call.status);
    }
    expect(calls.filter((call) => call.startedAt > exit.at).every((call) => call.error)).toBe(true);

    // Every 2xx left its effect in the database.
    const ids = (what: string, status: number, key: string): string[] =>
      calls
        .filter((call) => call.what === what && call.status === status)
        .map((call) => call.body?.[key] as string);
    const created = ids('create', 201, 'id');
    const approved = ids('approve', 200, 'id');
    const minted = ids('mint', 201, 'grantId');
    expect(created.length).toBeGreaterThan(10);
    expect(minted.length).toBeGreaterThan(0);
    const requests = await existing(
      db,
      'SELECT id FROM access_requests WHERE id = ANY($1)',
      created,
    );
    expect(created.filter((id) => !requests.has(id))).toEqual([]);
    const approvals = await existing(
      db,
      'SELECT request_id AS id FROM approvals WHERE request_id = ANY($1)',
      approved,
    );
    expect(approved.filter((id) => !approvals.has(id))).toEqual([]);
    const grants = await existing(db, 'SELECT id FROM grants WHERE id = ANY($1)', minted);
    expect(minted.filter((id) => !grants.has(id))).toEqual([]);
  }, 60_000);
});

describe('SIGTERM drains a worker mid-revocation (PostgreSQL + Redis, a separate process)', () => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let dir: string;
  let broker: TestBroker;
  let workers: RunningProcess[];
  let db: pg.Client;
  let env: Record<string, string>;

  beforeAll(async () => {
    buildOnce();
    issuer = await TestIssuer.start();
    database = await freshDatabase('postgres');
    dir = mkdtempSync(join(tmpdir(), 'countersign-drain-'));
    // The broker only mints: the worker processes run the revocation jobs and the sweep.
    const yaml = testConfigYaml(issuer).replace(
      'sweepInterval: 30s',
      'sweepInterval: 2s\n  worker: external',
    );
    writeFileSync(join(dir, 'countersign.yaml'), yaml);
    broker = await startBroker({ kind: 'postgres', issuer, database, yaml });
    env = {
      COUNTERSIGN_CONFIG: join(dir, 'countersign.yaml'),
      COUNTERSIGN_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      TEST_QUEUE_PREFIX: database.queuePrefix,
      SHUTDOWN_DELAY: `${DELAY_MS / 1000}s`,
      SHUTDOWN_TIMEOUT: `${DEADLINE_MS / 1000}s`,
    };
    workers = [];
    db = new pg.Client({ connectionString: database.url });
    db.on('error', () => undefined);
    await db.connect();
  }, 60_000);

  afterAll(async () => {
    for (const worker of workers) await worker.stop('SIGKILL');
    await db?.end();
    await broker?.close();
    await database?.drop();
    await issuer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finishes the revocation in progress, exits 0, and another worker ends the rest, each grant once', async () => {
    const first = await startProcess('worker', env);
    workers.push(first);
    const later: MintedGrant[] = [];
    for (let i = 0; i < 5; i += 1) later.push(await mintQuickGrant(broker, '10s'));
    const soon: MintedGrant[] = [];
    for (let i = 0; i < 5; i += 1) soon.push(await mintQuickGrant(broker, '3s'));
    const endedSoon = async (): Promise<number> => {
      const { rows } = await db.query<{ n: string }>(
        'SELECT COUNT(*) AS n FROM grants WHERE id = ANY($1) AND ended_at IS NOT NULL',
        [soon.map((grant) => grant.grantId)],
      );
      return Number(rows[0].n);
    };

    // Ending a grant writes to grants: the job that ends the first ones waits on this lock.
    const locker = new pg.Client({ connectionString: database.url });
    locker.on('error', () => undefined);
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE grants IN EXCLUSIVE MODE');
    const endedBefore = await endedSoon();
    expect(endedBefore).toBeLessThan(soon.length);
    // Past the first expiry, the worker's job (or sweep) ending it waits on the lock.
    await sleep(Date.parse(soon[0].expiresAt) + 500 - Date.now());
    await eventually(async () => {
      const { rows } = await db.query<{ n: string }>(
        "SELECT COUNT(*) AS n FROM pg_locks WHERE NOT granted AND relation = 'grants'::regclass",
      );
      return Number(rows[0].n) > 0 ? true : undefined;
    }, 15_000);
    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    const readiness: Call[] = [];
    await poll(
      readiness,
      'ready',
      `${first.url}/health/ready`,
      () => Date.now() > signalledAt + DELAY_MS - 200,
      50,
    );
    await sleep(700);
    expect(await endedSoon()).toBe(endedBefore);
    await locker.query('COMMIT');
    await locker.end();
    const exit = await first.stop('SIGTERM', DEADLINE_MS + 5000);

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalledAt).toBeLessThan(DEADLINE_MS);
    // Not ready once the signal has landed (the first poll may beat it).
    const afterSignal = readiness.filter((call) => call.startedAt > signalledAt + 100);
    expect(afterSignal.length).toBeGreaterThan(0);
    expect(afterSignal.map((call) => call.status ?? call.error)).toEqual(
      afterSignal.map(() => 503),
    );
    // The revocation under way when the signal came (held by the lock) finished before the exit:
    // no other worker runs yet.
    expect(await endedSoon()).toBeGreaterThan(endedBefore);

    // Another worker takes over: everything left ends, and every grant ends exactly once.
    workers.push(await startProcess('worker', env));
    const all = [...soon, ...later].map((grant) => grant.grantId);
    await eventually(
      async () => {
        const { rows } = await db.query<{ n: string }>(
          'SELECT COUNT(*) AS n FROM grants WHERE id = ANY($1) AND ended_at IS NOT NULL',
          [all],
        );
        return Number(rows[0].n) === all.length ? true : undefined;
      },
      90_000,
      500,
    );
    await broker.app.get(LogIntegrator).catchUp();
    const ends = await db.query<{ grant_id: string; n: string }>(
      "SELECT grant_id, COUNT(*) AS n FROM audit_events WHERE type IN ('grant.expired', 'grant.revoked') AND grant_id = ANY($1) GROUP BY grant_id",
      [all],
    );
    expect(ends.rows).toHaveLength(all.length);
    expect(ends.rows.every((row) => Number(row.n) === 1)).toBe(true);
  }, 150_000);
});
