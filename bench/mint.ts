/**
 * The core-flow benchmark: request → approve → mint against the real broker on PostgreSQL, over
 * HTTP, at concurrency 1 and 32, next to the same rows written through `pg` alone, plus the
 * layers in between (see docs/performance.md). Run with `npm run bench`; it creates its own
 * databases (countersign_bench_*) and drops them at the end. BENCH_SCALE=0.1 is a quick look that
 * prints the figures without writing them into docs/performance.md.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { INestApplication } from '@nestjs/common';
import { SignJWT, createLocalJWKSet, generateKeyPair, jwtVerify } from 'jose';
import pg from 'pg';
import { APP_CONFIG, CreateRequest, DecideRequest, MintCredential } from '#access';
import { AuditLog, LogIntegrator } from '#audit';
import type { AppConfig } from '#config';
import { parseConfig } from '#config';
import { LogKeys } from '#credentials';
import type { AuthenticatedPrincipal } from '#identity';
import { ALLOWED_ALGORITHMS } from '#identity';
import { UnitOfWork, openDatabase } from '#persistence';
import { createBroker } from '../apps/broker/src/bootstrap.js';
import type { FlowShape, RawVariant, StepTimes } from './raw-pg.js';
import { RawFlows } from './raw-pg.js';
import type { Component, Figures, Measurement, PathName, StepSql } from './report.js';
import { PATH_LABELS, renderSection, writeSection } from './report.js';
import {
  mainThreadCpuSeconds,
  postgresBackendTicks,
  postgresCpuSecondsBetween,
  sampleAdvisoryWaits,
} from './probes.js';
import type { BenchDatabase, HttpResponse } from './support.js';
import {
  ADMIN_URL,
  BenchIssuer,
  Failures,
  HttpClient,
  adminQuery,
  createDatabase,
  percentiles,
  runConcurrently,
} from './support.js';

// BENCH_SCALE=0.2 runs a fifth of the flows, for a quick look; figures for docs use 1.
const SCALE = Number(process.env.BENCH_SCALE ?? '1');
const FLOWS: Readonly<Record<number, number>> = {
  1: Math.max(30, Math.round(300 * SCALE)),
  32: Math.max(96, Math.round(1200 * SCALE)),
};
// Each concurrency's flows are split into rounds that alternate between the paths, so that other
// load on the machine, which drifts, falls on every path alike.
const ROUNDS = 3;
const WARM_UP_FLOWS = Math.max(32, Math.round(100 * SCALE));
const CONCURRENCIES = [1, 32];
const RAW_POOL_SIZE = 32;
const ROLE = 'prod-db-admin';
// dist/bench/mint.js → docs/performance.md at the package root.
const DOC = fileURLToPath(new URL('../../docs/performance.md', import.meta.url));

function benchConfigYaml(issuer: BenchIssuer): string {
  return `
publicUrl: http://127.0.0.1:3999
separation: strict
auth:
  issuers:
    - name: corp
      issuer: ${issuer.url}
      jwksUri: ${issuer.jwksUri}
      audience: countersign
      groupsClaim: groups
rateLimit:
  perMinute: 0
policy:
  admins: { groups: [security] }
  roles:
    - name: ${ROLE}
      resource: postgres://prod/payments
      actions: [db:read, db:write]
      maxDuration: 1h
      defaultDuration: 15m
      redeemWithin: 15m
      requestTimeout: 24h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      approvalsRequired: 1
      requireJustification: true
`;
}

/**
 * Nest ends the process when the application fails to build (process.exit or process.abort, its
 * abortOnError default), which would skip dropping the databases: while `work` runs, both throw.
 */
async function exitAsError<T>(work: () => Promise<T>): Promise<T> {
  // The originals, put back as they were (not bound copies).
  const exit = Reflect.get<typeof process, 'exit'>(process, 'exit');
  const abort = Reflect.get<typeof process, 'abort'>(process, 'abort');
  const fail = (how: string) => {
    throw new Error(`the broker failed to start (${how}); BENCH_LOG_LEVEL=error shows why`);
  };
  process.exit = (code?: number | string | null) => fail(`exit ${code ?? 0}`);
  process.abort = () => fail('abort');
  try {
    return await work();
  } finally {
    process.exit = exit;
    process.abort = abort;
  }
}

const log = (message: string) => process.stderr.write(`${message}\n`);

type Flow = (failures: Failures) => Promise<StepTimes | undefined>;

interface PathRunner {
  path: PathName;
  database: string;
  flow: Flow;
  /** Sample waits for the audit advisory lock (only where the path takes it). */
  sampleLocks: boolean;
  /** Before and after each segment: raw paths hold their 32 connections only while they run. */
  open?: () => Promise<void>;
  close?: () => Promise<void>;
}

/** What the rounds of one path at one concurrency add up to. */
class Totals {
  readonly flowMs: number[] = [];
  readonly mintMs: number[] = [];
  readonly failures = new Failures();
  seconds = 0;
  cpuSeconds = 0;
  pgSeconds = 0;
  mainThreadSeconds = 0;
  lockWaiting = 0;
  lockSamples = 0;

  measurement(path: PathName, concurrency: number, sampled: boolean): Measurement {
    const ok = this.flowMs.length;
    const perFlow = (total: number) => total / Math.max(ok, 1);
    return {
      path,
      concurrency,
      flows: ok,
      seconds: this.seconds,
      rate: ok / this.seconds,
      flow: percentiles(this.flowMs),
      mint: percentiles(this.mintMs),
      mainThreadMsPerFlow: perFlow(this.mainThreadSeconds * 1000),
      nodeCpuMsPerFlow: perFlow(this.cpuSeconds * 1000),
      pgCpuMsPerFlow: perFlow(this.pgSeconds * 1000),
      ...(sampled ? { lockWaiting: this.lockWaiting / Math.max(this.lockSamples, 1) } : {}),
      failures: this.failures.describe(),
    };
  }
}

/** Runs `flows` flows of one path at `concurrency` and adds wall time, CPU and latencies up. */
async function runSegment(
  runner: PathRunner,
  totals: Totals,
  flows: number,
  concurrency: number,
): Promise<void> {
  await runner.open?.();
  const sampler = runner.sampleLocks
    ? await sampleAdvisoryWaits(ADMIN_URL, runner.database)
    : undefined;
  const pgBefore = postgresBackendTicks(runner.database);
  const mainBefore = mainThreadCpuSeconds();
  const { seconds, cpuSeconds } = await runConcurrently(flows, concurrency, async () => {
    try {
      const times = await runner.flow(totals.failures);
      if (times) {
        totals.flowMs.push(times.flowMs);
        totals.mintMs.push(times.mintMs);
      }
    } catch (error) {
      totals.failures.add(`thrown: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  totals.mainThreadSeconds += mainThreadCpuSeconds() - mainBefore;
  totals.pgSeconds += postgresCpuSecondsBetween(pgBefore, postgresBackendTicks(runner.database));
  totals.seconds += seconds;
  totals.cpuSeconds += cpuSeconds;
  if (sampler) {
    const locks = await sampler.stop();
    totals.lockWaiting += locks.waiting;
    totals.lockSamples += locks.samples;
  }
  await runner.close?.();
}

async function measureAll(runners: PathRunner[]): Promise<Measurement[]> {
  const measurements: Measurement[] = [];
  for (const concurrency of CONCURRENCIES) {
    const totals = runners.map(() => new Totals());
    const perRound = Math.ceil(FLOWS[concurrency] / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      log(`concurrency ${concurrency}, round ${round + 1}/${ROUNDS}`);
      for (let k = 0; k < runners.length; k++) {
        // Rotate the order each round, so no path always runs first or last.
        const i = (k + round) % runners.length;
        await runSegment(runners[i], totals[i], perRound, concurrency);
      }
    }
    runners.forEach((runner, i) => {
      const m = totals[i].measurement(runner.path, concurrency, runner.sampleLocks);
      measurements.push(m);
      log(
        `  ${PATH_LABELS[m.path]} c=${concurrency}: ${m.flows} flows, ${m.rate.toFixed(0)}/s, ` +
          `mint p50/p99 ${m.mint.p50.toFixed(2)}/${m.mint.p99.toFixed(2)} ms, ` +
          `flow p50/p99 ${m.flow.p50.toFixed(2)}/${m.flow.p99.toFixed(2)} ms, ` +
          `main thread ${m.mainThreadMsPerFlow.toFixed(2)} ms/flow, ` +
          `node CPU ${m.nodeCpuMsPerFlow.toFixed(2)} ms/flow, pg CPU ${m.pgCpuMsPerFlow.toFixed(2)} ms/flow` +
          (m.lockWaiting === undefined ? '' : `, lock waiters ${m.lockWaiting.toFixed(1)}`) +
          (m.failures ? `, FAILURES: ${m.failures}` : ''),
      );
    });
  }
  return measurements;
}

/** Repeats `operation` `total` times with `concurrency` in flight: operations per second and p50. */
async function rateOf(
  total: number,
  concurrency: number,
  operation: () => Promise<void>,
): Promise<{ perSecond: number; p50Ms: number }> {
  const times: number[] = [];
  const { seconds } = await runConcurrently(total, concurrency, async () => {
    const started = performance.now();
    await operation();
    times.push(performance.now() - started);
  });
  return { perSecond: total / seconds, p50Ms: percentiles(times).p50 };
}

interface Tokens {
  requester: string;
  approver: string;
}

function httpFlow(api: HttpClient, tokens: Tokens): Flow {
  return async (failures) => {
    const started = performance.now();
    const created = await api.post('/v1/requests', tokens.requester, {
      role: ROLE,
      justification: 'bench',
    });
    if (created.status !== 201) {
      failures.add(`request → ${created.status} ${String(created.body.error)}`);
      return undefined;
    }
    const id = created.body.id as string;
    const approved = await api.post(`/v1/requests/${id}/approve`, tokens.approver, {});
    if (approved.status !== 200 || approved.body.status !== 'approved') {
      failures.add(`approve → ${approved.status} ${String(approved.body.error)}`);
      return undefined;
    }
    const mintStarted = performance.now();
    const minted = await api.post(`/v1/requests/${id}/credentials`, tokens.requester, {});
    const ended = performance.now();
    const credential = minted.body.credential as { token?: unknown } | undefined;
    if (minted.status !== 201 || typeof credential?.token !== 'string') {
      failures.add(`mint → ${minted.status} ${String(minted.body.error)}`);
      return undefined;
    }
    return { flowMs: ended - started, mintMs: ended - mintStarted };
  };
}

function inProcessFlow(app: INestApplication): Flow {
  const create = app.get(CreateRequest);
  const decide = app.get(DecideRequest);
  const mint = app.get(MintCredential);
  const alice: AuthenticatedPrincipal = {
    id: 'corp:alice',
    groups: ['engineering'],
    tokenGroups: ['engineering'],
    tokenGroupsKnown: true,
  };
  const bob: AuthenticatedPrincipal = {
    id: 'corp:bob',
    groups: ['sre-leads'],
    tokenGroups: ['sre-leads'],
    tokenGroupsKnown: true,
  };
  return async () => {
    const started = performance.now();
    const view = await create.execute(alice, { role: ROLE, justification: 'bench' });
    await decide.approve(bob, view.id);
    const mintStarted = performance.now();
    await mint.execute(alice, view.id);
    const ended = performance.now();
    return { flowMs: ended - started, mintMs: ended - mintStarted };
  };
}

/**
 * The statements of one step's transaction (START TRANSACTION to COMMIT; reads outside it, such
 * as the signing key cache refreshing every 10 s, are left out) and how many of them were sent
 * after the audit lock was granted.
 */
function sqlOf(statements: readonly string[]): StepSql {
  const begin = statements.findIndex((sql) => /^(START TRANSACTION|BEGIN)/i.test(sql));
  const end = statements.findLastIndex((sql) => /^COMMIT/i.test(sql));
  if (begin === -1 || end === -1) throw new Error('the step ran no transaction');
  const transaction = statements.slice(begin, end + 1);
  const lockAt = transaction.findIndex((sql) => sql.includes('pg_advisory_xact_lock'));
  return {
    statements: transaction.length,
    underLock: lockAt === -1 ? 0 : transaction.length - lockAt - 1,
  };
}

/** Records the SQL every pg client sends while `work` runs (nothing else runs meanwhile). */
async function recordSql<T>(work: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
  const sql: string[] = [];
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const query = args[0] as string | { text?: string };
    sql.push(typeof query === 'string' ? query : (query.text ?? ''));
    return original.apply(this, args);
  };
  try {
    return { result: await work(), sql };
  } finally {
    prototype.query = original;
  }
}

interface Observed {
  shape: FlowShape;
  types: { create: string[]; approve: string[]; mint: string[] };
  sql: { create: StepSql; approve: StepSql; mint: StepSql };
}

/** Runs one flow step by step and reads which audit rows and statements each step wrote. */
async function observeFlow(api: HttpClient, tokens: Tokens, pool: pg.Pool): Promise<Observed> {
  const headSeq = async () =>
    Number(
      (await pool.query<{ seq: string }>('SELECT max(seq) AS seq FROM audit_events')).rows[0]
        ?.seq ?? 0,
    );
  const rows = async (after: number, upTo: number) =>
    (
      await pool.query<{ type: string; actor: string; data: string }>(
        'SELECT type, actor, data FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq',
        [after, upTo],
      )
    ).rows;
  const step = async (what: string, expected: number, call: () => Promise<HttpResponse>) => {
    const { result, sql } = await recordSql(call);
    if (result.status !== expected) throw new Error(`${what} failed: ${JSON.stringify(result)}`);
    return { body: result.body, sql: sqlOf(sql) };
  };
  const s0 = await headSeq();
  const created = await step('request', 201, () =>
    api.post('/v1/requests', tokens.requester, { role: ROLE, justification: 'bench' }),
  );
  const id = created.body.id as string;
  const s1 = await headSeq();
  const approved = await step('approve', 200, () =>
    api.post(`/v1/requests/${id}/approve`, tokens.approver, {}),
  );
  const s2 = await headSeq();
  const minted = await step('mint', 201, () =>
    api.post(`/v1/requests/${id}/credentials`, tokens.requester, {}),
  );
  const s3 = await headSeq();
  const shape: FlowShape = {
    create: await rows(s0, s1),
    approve: await rows(s1, s2),
    mint: await rows(s2, s3),
  };
  const types = (list: FlowShape['create']) => list.map((row) => row.type);
  return {
    shape,
    types: { create: types(shape.create), approve: types(shape.approve), mint: types(shape.mint) },
    sql: { create: created.sql, approve: approved.sql, mint: minted.sql },
  };
}

async function joseFigures(issuer: BenchIssuer, token: string) {
  const keys = createLocalJWKSet({ keys: [issuer.publicJwk] });
  const verifyOnce = async () => {
    await jwtVerify(token, keys, {
      algorithms: ALLOWED_ALGORITHMS,
      issuer: issuer.url,
      audience: 'countersign',
      requiredClaims: ['exp', 'sub'],
    });
  };
  const { privateKey } = await generateKeyPair('EdDSA');
  const signOnce = async () => {
    await new SignJWT({ role: ROLE, scope: 'db:read db:write', approvers: ['corp:bob'] })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'bench', typ: 'JWT' })
      .setIssuer('http://127.0.0.1:3999')
      .setSubject('corp:alice')
      .setAudience('postgres://prod/payments')
      .setIssuedAt()
      .setExpirationTime('15m')
      .setJti(randomBytes(16).toString('hex'))
      .sign(privateKey);
  };
  for (let i = 0; i < 200; i++) {
    await verifyOnce();
    await signOnce();
  }
  return {
    verify1: await rateOf(3000, 1, verifyOnce),
    verify32: await rateOf(6000, 32, verifyOnce),
    sign1: await rateOf(3000, 1, signOnce),
    sign32: await rateOf(6000, 32, signOnce),
  };
}

/**
 * A raw `pg` path on its own database, its schema made by the broker's own migrations. Its pool
 * is connected (all 32) before each segment and closed after it, to stay within max_connections.
 */
async function rawRunner(
  path: PathName,
  variant: RawVariant,
  database: BenchDatabase,
  shape: FlowShape,
): Promise<PathRunner> {
  const dataSource = await openDatabase({ type: 'postgres', url: database.url });
  await dataSource.destroy();
  let pool: pg.Pool | undefined;
  const raw = new RawFlows(shape, variant);
  return {
    path,
    database: database.name,
    flow: () => raw.flow(),
    sampleLocks: variant !== 'writes',
    open: async () => {
      pool = new pg.Pool({ connectionString: database.url, max: RAW_POOL_SIZE });
      const clients = await Promise.all(
        Array.from({ length: RAW_POOL_SIZE }, () => pool!.connect()),
      );
      for (const client of clients) client.release();
      await raw.attach(pool);
    },
    close: async () => {
      await pool?.end();
      pool = undefined;
    },
  };
}

/**
 * One-row insert transactions through `pg`, plain and holding an advisory lock from before the
 * insert to COMMIT as the audit chain does, so that COMMITs (WAL flushes) cannot overlap.
 */
async function commitFigures(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 32 });
  try {
    await pool.query('CREATE TABLE bench_commit (id bigserial PRIMARY KEY, v text NOT NULL)');
    const transaction = (lock: boolean) => async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        if (lock) await client.query('SELECT pg_advisory_xact_lock($1)', [42]);
        await client.query('INSERT INTO bench_commit (v) VALUES ($1)', ['x'.repeat(300)]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    };
    await rateOf(500, 32, transaction(false));
    return {
      plain1: await rateOf(1000, 1, transaction(false)),
      plain32: await rateOf(4000, 32, transaction(false)),
      locked1: await rateOf(1000, 1, transaction(true)),
      locked32: await rateOf(4000, 32, transaction(true)),
    };
  } finally {
    await pool.end();
  }
}

const fmtRate = (r: { perSecond: number; p50Ms: number }) =>
  `${Math.round(r.perSecond)}/s (p50 ${r.p50Ms < 1 ? `${Math.round(r.p50Ms * 1000)} µs` : `${r.p50Ms.toFixed(2)} ms`})`;

async function main(): Promise<void> {
  const loadBefore = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const [{ version: postgres }] = await adminQuery<{ version: string }>('SELECT version()');
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    while (cleanups.length > 0) {
      try {
        await cleanups.pop()!();
      } catch (error) {
        log(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  try {
    const issuer = await BenchIssuer.start();
    cleanups.push(() => issuer.close());
    const databases: Record<'broker' | 'writes' | 'sql' | 'batched', BenchDatabase> = {
      broker: await createDatabase(),
      writes: await createDatabase('_raw_writes'),
      sql: await createDatabase('_raw_sql'),
      batched: await createDatabase('_raw_batched'),
    };
    for (const database of Object.values(databases)) cleanups.push(() => database.drop());
    log(
      `databases ${Object.values(databases)
        .map((d) => d.name)
        .join(', ')}; flows: ${FLOWS[1]} at c=1, ${FLOWS[32]} at c=32, in ${ROUNDS} rounds`,
    );

    const config = parseConfig(benchConfigYaml(issuer), {
      DATABASE_URL: databases.broker.url,
      COUNTERSIGN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    const app = await exitAsError(() =>
      createBroker(config, {
        logLevel: process.env.BENCH_LOG_LEVEL ?? 'silent',
        backgroundJobs: false,
      }),
    );
    await app.listen(0, '127.0.0.1');
    cleanups.push(() => app.close());
    const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
    const api = new HttpClient(`http://127.0.0.1:${port}`);
    cleanups.push(() => Promise.resolve(api.close()));
    const tokens: Tokens = {
      requester: await issuer.token('alice', ['engineering']),
      approver: await issuer.token('bob', ['sre-leads']),
    };
    const observer = new pg.Pool({ connectionString: databases.broker.url, max: 2 });
    cleanups.push(() => observer.end());

    const { shape, types, sql } = await observeFlow(api, tokens, observer);
    log(
      `one flow: audit rows ${types.create.length} + ${types.approve.length} + ${types.mint.length}, ` +
        `statements ${sql.create.statements} + ${sql.approve.statements} + ${sql.mint.statements} ` +
        `(${sql.create.underLock} + ${sql.approve.underLock} + ${sql.mint.underLock} under the audit lock)`,
    );
    const runners: PathRunner[] = [
      {
        path: 'broker',
        database: databases.broker.name,
        flow: httpFlow(api, tokens),
        sampleLocks: true,
        open: () => Promise.resolve(api.reset()),
      },
      {
        path: 'in-process',
        database: databases.broker.name,
        flow: inProcessFlow(app),
        sampleLocks: true,
      },
      await rawRunner('raw-writes', 'writes', databases.writes, shape),
      await rawRunner('raw-broker-sql', 'broker-sql', databases.sql, shape),
      await rawRunner('raw-batched-audit', 'batched-audit', databases.batched, shape),
    ];

    log('warm-up');
    const warmUp = new Failures();
    for (const runner of runners) {
      await runner.open?.();
      cleanups.push(async () => runner.close?.());
      await runConcurrently(WARM_UP_FLOWS, 32, async () => void (await runner.flow(warmUp)));
      await runner.close?.();
    }
    if (warmUp.total > 0) log(`  warm-up failures: ${warmUp.describe()}`);

    const measurements = await measureAll(runners);

    log('components');
    api.reset();
    const health1 = await rateOf(1000, 1, async () => void (await api.get('/health/live')));
    const health32 = await rateOf(3000, 32, async () => void (await api.get('/health/live')));
    const rejected = async () => {
      const response = await api.post('/v1/requests', tokens.requester, {});
      if (response.status !== 400) throw new Error(`expected 400, got ${response.status}`);
    };
    const auth1 = await rateOf(1000, 1, rejected);
    const auth32 = await rateOf(3000, 32, rejected);
    const jose = await joseFigures(issuer, tokens.requester);
    const commits = await commitFigures(databases.writes.url);

    const uow = app.get(UnitOfWork);
    await app.get(LogIntegrator).catchUp();
    const chain = await app.get(AuditLog).verify(uow.dataSource.manager, {
      origin: app.get<AppConfig>(APP_CONFIG).audit.origin,
      verifiers: await app.get(LogKeys).verifiers(),
    });
    const count = async (where: string) =>
      Number(
        (
          await observer.query<{ n: string }>(
            `SELECT count(*) AS n FROM access_requests WHERE ${where}`,
          )
        ).rows[0]?.n ?? 0,
      );
    const issued = await count("status = 'issued'");
    const notIssued = await count("status <> 'issued'");
    log(
      `audit chain: ${chain.ok ? 'intact' : `BROKEN at ${chain.brokenAt}`}, ${chain.events} events; ` +
        `requests issued ${issued}, not issued ${notIssued}`,
    );

    const components: Component[] = [
      {
        name: 'HTTP `GET /health/live` (public: no token, no database)',
        c1: fmtRate(health1),
        c32: fmtRate(health32),
      },
      {
        name: 'HTTP `POST /v1/requests` refused by validation (bearer token verified, no database)',
        c1: fmtRate(auth1),
        c32: fmtRate(auth32),
      },
      {
        name: 'raw `pg` transaction inserting one row (BEGIN, INSERT, COMMIT)',
        c1: fmtRate(commits.plain1),
        c32: fmtRate(commits.plain32),
      },
      {
        name: 'the same holding an advisory lock from before the INSERT to COMMIT, as the audit chain does',
        c1: fmtRate(commits.locked1),
        c32: fmtRate(commits.locked32),
      },
      {
        name: 'jose `jwtVerify` of a bearer token (EdDSA), in-process',
        c1: fmtRate(jose.verify1),
        c32: fmtRate(jose.verify32),
      },
      {
        name: 'jose `SignJWT` of a credential (EdDSA), in-process',
        c1: fmtRate(jose.sign1),
        c32: fmtRate(jose.sign32),
      },
    ];
    const figures: Figures = {
      machine: {
        date: new Date().toISOString().slice(0, 10),
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        node: process.version,
        postgres: postgres.split(' on ')[0],
        loadBefore,
        loadAfter: loadavg()
          .map((l) => l.toFixed(2))
          .join(' '),
      },
      facts: {
        auditPerStep: types,
        sqlPerStep: sql,
        chain: chain.ok
          ? `${chain.events} events, intact`
          : `BROKEN at seq ${chain.brokenAt} of ${chain.events}`,
        issued,
        notIssued,
      },
      flowsPerRun: { c1: FLOWS[1], c32: FLOWS[32], rounds: ROUNDS },
      measurements,
      components,
      sign: { sequentialUs: 1e6 / jose.sign1.perSecond },
      verify: { sequentialUs: 1e6 / jose.verify1.perSecond },
      authNoDb: { c1Ms: auth1.p50Ms },
      commits: { plain32: commits.plain32.perSecond, locked32: commits.locked32.perSecond },
    };
    const section = renderSection(figures);
    process.stdout.write(`${section}\n`);
    if (SCALE === 1) {
      await writeSection(DOC, section);
      log(`written to ${DOC}`);
    } else {
      log(`BENCH_SCALE=${SCALE}: ${DOC} left as it was`);
    }
  } finally {
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
