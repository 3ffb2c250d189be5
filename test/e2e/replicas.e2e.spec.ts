import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { migrations } from '#migrations';
import { testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { TEST_REDIS_URL, freshDatabase } from '../support/databases.js';
import { eventually } from '../support/flow.js';
import type { RunningProcess } from '../support/processes.js';
import { buildOnce } from '../support/processes.js';
import type { RoutedCall } from '../support/replicas.js';
import {
  RoundRobin,
  endsPerGrant,
  grantEnds,
  inBatchesOf,
  readyPolicyHash,
  startTogether,
  untilReady,
} from '../support/replicas.js';
import { TestIssuer } from '../support/test-issuer.js';

const PER_MINUTE = 40;
const OVER_BUDGET = 10;
// The burst: GRANTS grants minted by PEOPLE on-call engineers (each under the rate limit), due in
// one second about BURST_LEAD_MS after the first is minted.
const PEOPLE = 40;
const GRANTS = 1000;
const BURST_LEAD_MS = 20_000;
const MINTS_IN_FLIGHT = 16;
// Every tenth round of mints (one grant of each person) is also revoked by its holders around the
// expiry instant, racing the jobs: each person stays well under the rate limit.
const REVOKE_EVERY = 10;
// No grant of the burst may be active this long after its expiry.
const END_BOUND_MS = 30_000;

// Break-glass mints in one call, with the duration the caller picks: the quickest legitimate path
// to a grant, so each expiry can be aimed at the burst's second.
const ROLES = `    - name: burst
      resource: https://burst.example.com
      actions: [run]
      maxDuration: 10m
      requesters: { groups: [oncall] }
      approvers: { groups: [sre-leads] }
      breakGlass: { maxDuration: 2m, reviewWithin: 1h }
    - name: short-lived
      resource: https://short.example.com
      actions: [run]
      maxDuration: 10m
      requestTimeout: 2s
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
`;

const ADDED = `    - name: added-later
      resource: https://added.example.com
      actions: [run]
      maxDuration: 1h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
`;

/** The production shape: brokers serve the API and enqueue, workers run the jobs; 2 s sweeps. */
function configYaml(issuer: TestIssuer, extraRoles = ''): string {
  const yaml = testConfigYaml(issuer, ROLES + extraRoles)
    .replace('  perMinute: 0\n', `  perMinute: ${PER_MINUTE}\n`)
    .replace('  sweepInterval: 30s\n', '  sweepInterval: 2s\n  worker: external\n');
  expect(yaml).toContain('worker: external');
  expect(yaml).toContain(`perMinute: ${PER_MINUTE}`);
  return yaml;
}

interface Person {
  sub: string;
  token: string;
}

async function count(db: pg.Client, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.query<{ n: string }>(sql, params);
  return Number(rows[0].n);
}

describe('two brokers and two workers as processes behind a round robin (PostgreSQL + Redis)', () => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let dir: string;
  let configPath: string;
  let db: pg.Client;
  /** Brokers A and B, then workers W1 and W2. */
  let processes: RunningProcess[] = [];
  let client: RoundRobin;

  beforeAll(async () => {
    buildOnce();
    issuer = await TestIssuer.start();
    database = await freshDatabase('postgres');
    dir = mkdtempSync(join(tmpdir(), 'countersign-replicas-'));
    configPath = join(dir, 'countersign.yaml');
    writeFileSync(configPath, configYaml(issuer));
    db = new pg.Client({ connectionString: database.url });
    db.on('error', () => undefined);
    await db.connect();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((running) => running.stop('SIGKILL')));
    await db?.end();
    await database?.drop();
    await issuer?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const brokers = () => processes.slice(0, 2);
  const workers = () => processes.slice(2);
  const token = (sub: string, groups: string[]) => issuer.token(sub, { groups });

  it('four processes started at the same instant on an empty database all become ready, each migration applied once', async () => {
    expect(await count(db, "SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = 'public'")).toBe(
      0,
    );
    const env = {
      COUNTERSIGN_CONFIG: configPath,
      COUNTERSIGN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      TEST_QUEUE_PREFIX: database.queuePrefix,
      LOG_LEVEL: 'warn',
    };
    processes = await startTogether([
      { app: 'broker', env },
      { app: 'broker', env },
      { app: 'worker', env },
      { app: 'worker', env },
    ]);
    client = new RoundRobin(brokers().map((broker) => broker.url));
    for (const running of processes) await untilReady(running, 30_000);

    const applied = await db.query<{ name: string; times: string }>(
      'SELECT name, COUNT(*) AS times FROM migrations GROUP BY name ORDER BY name',
    );
    expect(applied.rows).toEqual(
      migrations
        .map((migration) => migration.name)
        .sort()
        .map((name) => ({ name, times: '1' })),
    );
  }, 60_000);

  it('a policy reload through broker A reaches broker B (and both workers) within 2 s', async () => {
    const [a, b] = brokers();
    const before = await readyPolicyHash(a);
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    for (const running of processes) expect(await readyPolicyHash(running)).toBe(before);

    writeFileSync(configPath, configYaml(issuer, ADDED));
    const started = Date.now();
    const reloaded = await fetch(`${a.url}/v1/policy/reload`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token('dave', ['security', 'sre-leads'])}`,
        'content-type': 'application/json',
      },
      body: '{}',
    });
    expect(reloaded.status).toBe(200);
    expect(((await reloaded.json()) as { changedRoles: string[] }).changedRoles).toEqual([
      'added-later',
    ]);
    const after = await readyPolicyHash(a);
    expect(after).toMatch(/^[0-9a-f]{16}$/);
    expect(after).not.toBe(before);
    for (const running of [b, ...workers()]) {
      await eventually(
        async () => ((await readyPolicyHash(running)) === after ? true : undefined),
        2000 - (Date.now() - started),
        25,
      );
    }
    expect(Date.now() - started).toBeLessThan(2000);
    // B enforces it: the new role takes a request there.
    const created = await fetch(`${b.url}/v1/requests`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token('alice', ['engineering'])}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ role: 'added-later', duration: '5m' }),
    });
    expect(created.status).toBe(201);
  });

  it(`a rate limit of ${PER_MINUTE} a minute allows ${PER_MINUTE} in total across both brokers, not twice that`, async () => {
    const limited = await token('rate-tester', []);
    const calls: RoutedCall[] = [];
    for (let i = 0; i < PER_MINUTE + OVER_BUDGET; i += 1) {
      calls.push(await client.send('list', '/v1/requests?limit=1', { token: limited }));
    }
    const statuses = calls.map((call) => call.status);
    expect(statuses).toEqual([
      ...Array<number>(PER_MINUTE).fill(200),
      ...Array<number>(OVER_BUDGET).fill(429),
    ]);
    // Both replicas answered, and both refused: the budget is shared, not per replica.
    const [a, b] = brokers();
    for (const broker of [a, b]) {
      const mine = calls.filter((call) => call.url === broker.url);
      expect(mine.some((call) => call.status === 200)).toBe(true);
      expect(mine.some((call) => call.status === 429)).toBe(true);
    }
  });

  it(`${GRANTS} grants due in one second, a worker and a broker killed mid-burst: each ends exactly once, on time, and the survivors carry on`, async () => {
    const [, brokerB] = brokers();
    const [workerW1] = workers();
    const people: Person[] = await Promise.all(
      Array.from({ length: PEOPLE }, async (_, i) => {
        const sub = `oncall-${i}`;
        return { sub, token: await token(sub, ['oncall']) };
      }),
    );

    const breakGlass = async (person: Person, seconds: number, justification: string) => {
      const call = await client.send('break-glass', '/v1/break-glass', {
        token: person.token,
        body: { role: 'burst', duration: seconds, justification },
      });
      if (call.status !== 201) throw new Error(`break-glass: ${call.status ?? call.error}`);
      return {
        ...person,
        grantId: call.body!.grantId as string,
        expiresAt: call.body!.expiresAt as string,
      };
    };

    // A warm-up (grants of 3 s) measures how fast this machine mints right now, once warm: the
    // burst is due BURST_LEAD_MS after its first mint, or later on a machine too slow for that.
    const warmUp = await inBatchesOf(people, MINTS_IN_FLIGHT, (person) =>
      breakGlass(person, 3, 'INC-14 warm-up'),
    );
    const warmStart = Date.now();
    const measuredFrom = client.calls.length;
    warmUp.push(
      ...(await inBatchesOf([...people, ...people], MINTS_IN_FLIGHT, (person) =>
        breakGlass(person, 3, 'INC-14 warm-up'),
      )),
    );
    const mintsPerSecond = ((warmUp.length - people.length) * 1000) / (Date.now() - warmStart);
    const leadMs = Math.max(BURST_LEAD_MS, (GRANTS * 1000) / mintsPerSecond + 3000);
    const latencies = client.calls
      .slice(measuredFrom)
      .map((call) => call.endedAt - call.startedAt)
      .sort((a, b) => a - b);
    const typicalLatencyMs = latencies[Math.floor(latencies.length / 2)];

    // Minted through both brokers, each with the whole seconds that bring its expiry into
    // [dueAt, dueAt + 1 s), give or take how much the call's latency differs from the typical.
    const mintStart = Date.now();
    const dueAt = Math.ceil((mintStart + leadMs) / 1000) * 1000;
    const minted = await inBatchesOf(
      Array.from({ length: GRANTS }, (_, i) => people[i % PEOPLE]),
      MINTS_IN_FLIGHT,
      (person) => {
        const seconds = Math.ceil((dueAt - Date.now() - typicalLatencyMs) / 1000);
        if (seconds < 2)
          throw new Error(
            `minting the burst took too long for its expiry: ${client.calls.length} calls in ${Date.now() - mintStart} ms`,
          );
        return breakGlass(person, seconds, 'INC-14 replicas');
      },
    );
    const mintedBy = client.calls.filter(
      (call) => call.what === 'break-glass' && call.status === 201,
    );
    expect(new Set(mintedBy.map((call) => call.url)).size).toBe(2);
    const expiries = minted.map((grant) => Date.parse(grant.expiresAt));
    // The load's shape: due within about a second (a slow answer lands later).
    const spreadMs = Math.max(...expiries) - Math.min(...expiries);
    expect(spreadMs).toBeLessThan(2000);
    const mintMs = Date.now() - mintStart;
    const burstIds = minted.map((grant) => grant.grantId);

    // Holders revoke some of their grants from just before the instant, through both brokers.
    const toRevoke = minted.filter((_, i) => Math.floor(i / PEOPLE) % REVOKE_EVERY === 0);
    await sleep(dueAt - 300 - Date.now());
    const revoking = inBatchesOf(toRevoke, 4, (grant) =>
      client.send('revoke', `/v1/grants/${grant.grantId}/revoke`, {
        token: grant.token,
        body: { reason: 'INC-14 done' },
      }),
    );

    // Mid-burst: once the first grants have ended, SIGKILL worker W1 and broker B.
    const endedSoFar = () =>
      count(db, "SELECT COUNT(*) AS n FROM grants WHERE id = ANY($1) AND status <> 'active'", [
        burstIds,
      ]);
    await sleep(dueAt + 200 - Date.now());
    await eventually(async () => ((await endedSoFar()) > 0 ? true : undefined), 10_000, 10);
    workerW1.child.kill('SIGKILL');
    brokerB.child.kill('SIGKILL');
    const killedAt = Date.now();
    const endedAtKill = await endedSoFar();
    expect(await workerW1.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(await brokerB.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(endedAtKill).toBeLessThan(GRANTS);

    // Afterwards, through what survives: grants due in 3 s, and a request nobody decides, whose
    // 2 s requestTimeout a sweep must act on.
    const later = (
      await inBatchesOf(people.slice(0, 20), 4, (person) =>
        breakGlass(person, 3, 'INC-14 after the kill'),
      )
    ).map((grant) => grant.grantId);
    const undecided = await client.send('request', '/v1/requests', {
      token: await token('alice', ['engineering']),
      body: { role: 'short-lived', duration: '5m' },
    });
    expect(undecided.status).toBe(201);
    const undecidedId = undecided.body!.id as string;
    const revokes = await revoking;
    expect(revokes.map((call) => call.status).filter((status) => status !== 200)).toEqual([]);

    // No grant left active within the bound, and every grant ended exactly once.
    await eventually(
      async () =>
        (await count(db, "SELECT COUNT(*) AS n FROM grants WHERE status = 'active'")) === 0
          ? true
          : undefined,
      dueAt + END_BOUND_MS - Date.now(),
      100,
    );
    const settledAt = Date.now();
    const allIds = (await db.query<{ id: string }>('SELECT id FROM grants')).rows.map(
      (row) => row.id,
    );
    expect(allIds.length).toBeGreaterThanOrEqual(warmUp.length + GRANTS + later.length);
    const ends = await grantEnds(db);
    const perGrant = endsPerGrant(ends);
    expect(allIds.filter((id) => perGrant.get(id) !== 1)).toEqual([]);
    expect(ends).toHaveLength(allIds.length);

    // The revoked ones were revoked or had already expired: one end either way.
    const endOf = new Map(ends.map((end) => [end.grantId, end]));
    const revoked = toRevoke.filter((grant) => endOf.get(grant.grantId)!.type === 'grant.revoked');
    expect(revoked.length).toBeGreaterThan(0);

    // The grants minted after the kill expired through jobs, i.e. the surviving worker's (the
    // brokers run none), soon after their expiry.
    const laterEnds = later.map((id) => endOf.get(id)!);
    const bySource = (source: string) =>
      laterEnds.filter((end) => end.type === 'grant.expired' && end.data.source === source);
    // (A sweep, every 2 s on the survivors, may beat a job to a grant now and then; without a
    // worker running jobs every one would wait for a sweep.)
    expect(bySource('job').length).toBeGreaterThanOrEqual(laterEnds.length / 2);
    expect(Math.max(...laterEnds.map((end) => end.data.lagMs ?? Infinity))).toBeLessThan(2000);

    // The request-expiry sweep still ran: the undecided request expired, once.
    await eventually(
      async () =>
        (await count(
          db,
          "SELECT COUNT(*) AS n FROM access_requests WHERE id = $1 AND status = 'expired'",
          [undecidedId],
        )) === 1
          ? true
          : undefined,
      10_000,
      100,
    );
    // The log caught up on the surviving replicas: nothing of these grants left pending.
    await eventually(
      async () =>
        (await count(
          db,
          "SELECT COUNT(*) AS n FROM audit_pending WHERE type IN ('grant.expired', 'grant.revoked')",
        )) === 0
          ? true
          : undefined,
      15_000,
      200,
    );
    // Its event reaches the log like any other, in its own time: the wait above covers the grants'.
    const requestExpiredEvents = () =>
      count(
        db,
        "SELECT COUNT(*) AS n FROM audit_events WHERE type = 'request.expired' AND request_id = $1",
        [undecidedId],
      );
    await eventually(
      async () => ((await requestExpiredEvents()) > 0 ? true : undefined),
      15_000,
      200,
    );
    expect(await requestExpiredEvents()).toBe(1);

    const burstLags = burstIds
      .map((id) => endOf.get(id)!)
      .filter((end) => end.type === 'grant.expired')
      .map((end) => end.data.lagMs!);
    const sources = countBy(
      ends.filter((end) => burstIds.includes(end.grantId)),
      (end) => end.data.source ?? end.type,
    );
    console.log(
      JSON.stringify({
        mintsPerSecond: Math.round(mintsPerSecond),
        leadMs: Math.round(leadMs),
        mintMs,
        spreadMs,
        endedAtKill,
        killedAfterDueMs: killedAt - dueAt,
        settledAfterDueMs: settledAt - dueAt,
        burstSources: sources,
        burstMaxLagMs: Math.max(...burstLags),
        revoked: revoked.length,
        laterSources: countBy(laterEnds, (end) => end.data.source ?? end.type),
        laterMaxLagMs: Math.max(...laterEnds.map((end) => end.data.lagMs!)),
      }),
    );
  }, 150_000);
});

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
