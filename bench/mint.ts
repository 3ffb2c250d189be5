/**
 * The core-flow benchmark: request → approve → mint against the real broker on PostgreSQL, over
 * HTTP, at concurrency 1 and 32, next to the same rows written through `pg` alone (one statement
 * per write, with the broker's reads, one statement per step) in the same run; commit →
 * integrated latency; each step alone with its CPU; the integrator alone; one and two broker
 * processes on one database; the components (see docs/performance.md). Run with `npm run bench`;
 * it creates its own databases (countersign_bench_*) and drops them at the end. BENCH_SCALE=0.2
 * is a quick look that prints the figures without writing them into docs/performance.md;
 * BENCH_QUICK=1 runs the paths at concurrency 32 only; BENCH_SQL=1 prints one flow's statements.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { INestApplication } from '@nestjs/common';
import { SignJWT, createLocalJWKSet, generateKeyPair, jwtVerify } from 'jose';
import pg from 'pg';
import { APP_CONFIG, CreateRequest, DecideRequest, MintCredential } from '#access';
import { AuditLog, LogIntegrator } from '#audit';
import type { AppConfig } from '#config';
import { parseConfig, resolveLogLevel } from '#config';
import { LogKeys } from '#credentials';
import type { AuthenticatedPrincipal } from '#identity';
import { ALLOWED_ALGORITHMS, TokenVerifier } from '#identity';
import { UnitOfWork, openDatabase } from '#persistence';
import { createBroker } from '../apps/broker/src/bootstrap.js';
import type { Flow, Tokens } from './broker-flows.js';
import { ROLE, benchConfigYaml, flowOf, httpSteps } from './broker-flows.js';
import type { FlowSteps } from './flow-steps.js';
import { measureSteps } from './flow-steps.js';
import { IntegrationWatcher, integratorThroughput } from './integration.js';
import { ChildBroker } from './processes.js';
import type { FlowIds, FlowShape, RawVariant } from './raw-pg.js';
import { RawFlows, newFlowIds } from './raw-pg.js';
import type {
  Component,
  Figures,
  Measurement,
  PathName,
  ProcessFigures,
  StepRow,
  StepSql,
} from './report.js';
import { PATH_LABELS, renderSection, writeSection } from './report.js';
import {
  mainThreadCpuSeconds,
  postgresBackendTicks,
  postgresCpuSecondsBetween,
  startCpuProfile,
} from './probes.js';
import type { BenchDatabase, HttpResponse } from './support.js';
import {
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
// BENCH_QUICK=1: the five paths at concurrency 32 only, nothing else (for before/after checks).
const QUICK = process.env.BENCH_QUICK === '1';
const CONCURRENCIES = QUICK ? [32] : [1, 32];
const RAW_POOL_SIZE = 32;
// The integrator's batch sizes tried alone (IntegratorOptions.batchSize).
const BATCH_SIZES = [4096, 8192, 16384];
// dist/bench/mint.js → docs/performance.md at the package root.
const DOC = fileURLToPath(new URL('../../docs/performance.md', import.meta.url));

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

interface PathRunner {
  path: PathName;
  database: string;
  flow: Flow;
  /** Watch commit → integrated (paths where the broker's integrator runs). */
  watchIntegration: boolean;
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
  readonly integratedMs: number[] = [];

  measurement(path: PathName, concurrency: number): Measurement {
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
      ...(this.integratedMs.length > 0 ? { integrated: percentiles(this.integratedMs) } : {}),
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
  const watcher = runner.watchIntegration
    ? await IntegrationWatcher.start(`postgres://postgres@127.0.0.1:5432/${runner.database}`)
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
  if (watcher) {
    // The last commits' events: the integrator may still be on them.
    await new Promise((resolve) => setTimeout(resolve, 300));
    totals.integratedMs.push(...(await watcher.stop()));
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
      const m = totals[i].measurement(runner.path, concurrency);
      measurements.push(m);
      log(
        `  ${PATH_LABELS[m.path]} c=${concurrency}: ${m.flows} flows, ${m.rate.toFixed(0)}/s, ` +
          `mint p50/p99 ${m.mint.p50.toFixed(2)}/${m.mint.p99.toFixed(2)} ms, ` +
          `flow p50/p99 ${m.flow.p50.toFixed(2)}/${m.flow.p99.toFixed(2)} ms, ` +
          `main thread ${m.mainThreadMsPerFlow.toFixed(2)} ms/flow, ` +
          `node CPU ${m.nodeCpuMsPerFlow.toFixed(2)} ms/flow, pg CPU ${m.pgCpuMsPerFlow.toFixed(2)} ms/flow` +
          (m.integrated
            ? `, commit → integrated p50/p99 ${m.integrated.p50}/${m.integrated.p99} ms`
            : '') +
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

function inProcessSteps(app: INestApplication): FlowSteps<string> {
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
  return {
    create: async () => (await create.execute(alice, { role: ROLE, justification: 'bench' })).id,
    approve: async (id) => void (await decide.approve(bob, id)),
    mint: async (id) => void (await mint.execute(alice, id)),
  };
}

function rawSteps(raw: RawFlows): FlowSteps<FlowIds> {
  return {
    async create() {
      const ids = newFlowIds();
      await raw.create(ids);
      return ids;
    },
    approve: (ids) => raw.approve(ids),
    mint: (ids) => raw.mint(ids),
  };
}

/**
 * The statements of one step's transaction (the one that writes its audit events), START
 * TRANSACTION to COMMIT, on the connection that ran it: the integrator's transactions (its
 * advisory lock), a principal's groups recorded once a minute, and reads outside a transaction
 * (the signing key cache refreshing every 10 s) are left out.
 */
function sqlOf(statements: readonly Recorded[]): StepSql {
  const transactions = new Map<unknown, string[][]>();
  for (const { client, sql } of statements) {
    const list = transactions.get(client) ?? [];
    if (/^(START TRANSACTION|BEGIN)/i.test(sql)) list.push([]);
    list[list.length - 1]?.push(sql);
    transactions.set(client, list);
  }
  const step = [...transactions.values()]
    .flat()
    .find(
      (tx) =>
        tx.some((sql) => sql.includes('INSERT INTO audit_pending')) &&
        !tx.some((sql) => sql.includes('advisory_xact_lock')),
    );
  if (!step) throw new Error('the step ran no transaction');
  const end = step.findIndex((sql) => /^COMMIT/i.test(sql));
  const transaction = end === -1 ? step : step.slice(0, end + 1);
  if (process.env.BENCH_SQL)
    log(transaction.map((sql) => `    ${sql.replace(/\s+/g, ' ')}`).join('\n'));
  return { statements: transaction.length };
}

interface Recorded {
  client: unknown;
  sql: string;
}

/** Records the SQL every pg client sends while `work` runs, with the client that sent it. */
async function recordSql<T>(work: () => Promise<T>): Promise<{ result: T; sql: Recorded[] }> {
  const sql: Recorded[] = [];
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const query = args[0] as string | { text?: string };
    sql.push({ client: this, sql: typeof query === 'string' ? query : (query.text ?? '') });
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
async function observeFlow(
  api: HttpClient,
  tokens: Tokens,
  pool: pg.Pool,
  integrator: LogIntegrator,
): Promise<Observed> {
  // Each step's events reach audit_events once integrated: integrate before reading the head.
  const headSeq = async () => {
    await integrator.catchUp();
    return Number(
      (await pool.query<{ seq: string }>('SELECT max(seq) AS seq FROM audit_events')).rows[0]
        ?.seq ?? 0,
    );
  };
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
  // The broker's own verifier, as the auth guard calls it: every time a signature check (a
  // cache of size 0), and with its verified-token cache, as shipped.
  const issuerConfig = {
    name: 'corp',
    issuer: issuer.url,
    jwksUri: issuer.jwksUri,
    audience: 'countersign',
    groupsClaim: 'groups',
  };
  const uncached = new TokenVerifier([issuerConfig], () => [], [], { maxEntries: 0 });
  const cached = new TokenVerifier([issuerConfig], () => []);
  const brokerVerifyUncached = async () => void (await uncached.verify(token));
  const brokerVerifyCached = async () => void (await cached.verify(token));
  for (let i = 0; i < 200; i++) {
    await verifyOnce();
    await signOnce();
    await brokerVerifyUncached();
    await brokerVerifyCached();
  }
  return {
    verify1: await rateOf(3000, 1, verifyOnce),
    verify32: await rateOf(6000, 32, verifyOnce),
    sign1: await rateOf(3000, 1, signOnce),
    sign32: await rateOf(6000, 32, signOnce),
    brokerUncached1: await rateOf(3000, 1, brokerVerifyUncached),
    brokerCached1: await rateOf(3000, 1, brokerVerifyCached),
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
): Promise<PathRunner & { steps: FlowSteps<FlowIds> }> {
  const dataSource = await openDatabase({ type: 'postgres', url: database.url });
  await dataSource.destroy();
  let pool: pg.Pool | undefined;
  const raw = new RawFlows(shape, variant);
  const steps = rawSteps(raw);
  return {
    path,
    database: database.name,
    flow: flowOf(steps),
    steps,
    watchIntegration: false,
    open: async () => {
      pool = new pg.Pool({ connectionString: database.url, max: RAW_POOL_SIZE });
      const clients = await Promise.all(
        Array.from({ length: RAW_POOL_SIZE }, () => pool!.connect()),
      );
      for (const client of clients) client.release();
      raw.attach(pool);
    },
    close: async () => {
      await pool?.end();
      pool = undefined;
    },
  };
}

/** One-row insert transactions through `pg`: what a commit (a WAL flush) costs here. */
async function commitFigures(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 32 });
  try {
    await pool.query('CREATE TABLE bench_commit (id bigserial PRIMARY KEY, v text NOT NULL)');
    const transaction = async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO bench_commit (v) VALUES ($1)', ['x'.repeat(300)]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    };
    await rateOf(500, 32, transaction);
    return {
      plain1: await rateOf(1000, 1, transaction),
      plain32: await rateOf(4000, 32, transaction),
    };
  } finally {
    await pool.end();
  }
}

/**
 * The least an HTTP request can cost here: a bare node:http server answering a small JSON body,
 * driven by the bench's own client in the same process; CPU per request is both sides'.
 */
async function bareHttpFigures() {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new HttpClient(`http://127.0.0.1:${port}`);
  try {
    await rateOf(1000, 32, async () => void (await client.post('/', 'x', { a: 1 })));
    const mainBefore = mainThreadCpuSeconds();
    const total = 6000;
    const c32 = await rateOf(total, 32, async () => void (await client.post('/', 'x', { a: 1 })));
    return { c32, mainThreadUs: ((mainThreadCpuSeconds() - mainBefore) * 1e6) / total };
  } finally {
    client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * One broker process, then two on the same database, each a child process driven by this one at
 * concurrency 32 in all (a flow's three calls go to one broker, flows alternate between them).
 */
async function processFigures(
  yaml: string,
  encryptionKey: string,
  tokens: Tokens,
  flows: number,
): Promise<ProcessFigures[]> {
  const database = await createDatabase('_processes');
  const brokers: ChildBroker[] = [];
  const apis: HttpClient[] = [];
  try {
    const env = {
      BENCH_BROKER_YAML: yaml,
      DATABASE_URL: database.url,
      COUNTERSIGN_ENCRYPTION_KEY: encryptionKey,
    };
    // One at a time: the first runs the migrations.
    for (let i = 0; i < 2; i++) {
      brokers.push(await ChildBroker.start(env));
      apis.push(new HttpClient(brokers[i].url));
    }
    const flowsOn = apis.map((api) => flowOf(httpSteps(api, tokens)));
    const results = new Map<number, Totals>([
      [1, new Totals()],
      [2, new Totals()],
    ]);
    const warmUp = new Failures();
    for (const flow of flowsOn) {
      await runConcurrently(WARM_UP_FLOWS, 32, async () => void (await flow(warmUp)));
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const count of round % 2 === 0 ? [1, 2] : [2, 1]) {
        log(`processes: ${count}, round ${round + 1}/${ROUNDS}`);
        apis.forEach((api) => api.reset());
        const totals = results.get(count)!;
        const watcher = await IntegrationWatcher.start(database.url);
        const { seconds } = await runConcurrently(Math.ceil(flows / ROUNDS), 32, async (index) => {
          const times = await flowsOn[index % count](totals.failures);
          if (times) {
            totals.flowMs.push(times.flowMs);
            totals.mintMs.push(times.mintMs);
          }
        });
        totals.seconds += seconds;
        await new Promise((resolve) => setTimeout(resolve, 300));
        totals.integratedMs.push(...(await watcher.stop()));
      }
    }
    return [...results].map(([count, totals]) => ({
      processes: count,
      flows: totals.flowMs.length,
      rate: totals.flowMs.length / totals.seconds,
      flow: percentiles(totals.flowMs),
      mint: percentiles(totals.mintMs),
      integrated: percentiles(totals.integratedMs),
      failures: totals.failures.describe(),
    }));
  } finally {
    apis.forEach((api) => api.close());
    for (const broker of brokers) await broker.stop();
    await database.drop();
  }
}

const fmtRate = (r: { perSecond: number; p50Ms: number }) =>
  `${Math.round(r.perSecond)}/s (p50 ${r.p50Ms < 1 ? `${Math.round(r.p50Ms * 1000)} µs` : `${r.p50Ms.toFixed(2)} ms`})`;

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
};

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
    const databases: Record<'broker' | RawVariant, BenchDatabase> = {
      broker: await createDatabase(),
      statements: await createDatabase('_raw_statements'),
      'broker-sql': await createDatabase('_raw_broker_sql'),
      pipelined: await createDatabase('_raw_pipelined'),
    };
    for (const database of Object.values(databases)) cleanups.push(() => database.drop());
    log(
      `databases ${Object.values(databases)
        .map((d) => d.name)
        .join(', ')}; flows: ${FLOWS[1]} at c=1, ${FLOWS[32]} at c=32, in ${ROUNDS} rounds`,
    );

    const yaml = benchConfigYaml(issuer);
    const encryptionKey = randomBytes(32).toString('base64');
    const config = parseConfig(yaml, {
      DATABASE_URL: databases.broker.url,
      COUNTERSIGN_ENCRYPTION_KEY: encryptionKey,
    });
    const app = await exitAsError(() =>
      createBroker(config, {
        logLevel: resolveLogLevel({ LOG_LEVEL: process.env.BENCH_LOG_LEVEL }, 'silent'),
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

    const { shape, types, sql } = await observeFlow(api, tokens, observer, app.get(LogIntegrator));
    log(
      `one flow: audit rows ${types.create.length} + ${types.approve.length} + ${types.mint.length}, ` +
        `statements ${sql.create.statements} + ${sql.approve.statements} + ${sql.mint.statements}`,
    );
    if (process.env.BENCH_SQL) return;
    const brokerSteps = httpSteps(api, tokens);
    const inProcess = inProcessSteps(app);
    const raws = {
      statements: await rawRunner('raw-statements', 'statements', databases.statements, shape),
      'broker-sql': await rawRunner('raw-broker-sql', 'broker-sql', databases['broker-sql'], shape),
      pipelined: await rawRunner('raw-pipelined', 'pipelined', databases.pipelined, shape),
    };
    const runners: PathRunner[] = [
      {
        path: 'broker',
        database: databases.broker.name,
        flow: flowOf(brokerSteps),
        watchIntegration: true,
        open: () => Promise.resolve(api.reset()),
      },
      {
        path: 'in-process',
        database: databases.broker.name,
        flow: flowOf(inProcess),
        watchIntegration: true,
      },
      raws.statements,
      raws['broker-sql'],
      raws.pipelined,
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
    if (QUICK) return;

    log('steps at concurrency 32');
    const stepCount = Math.ceil(FLOWS[32] / 2);
    api.reset();
    // BENCH_CPU_PROFILE=<dir>: a V8 profile of the broker's thread over its steps over HTTP.
    const profile = await startCpuProfile();
    const brokerStepFigures = await measureSteps(brokerSteps, databases.broker.name, stepCount, 32);
    await profile?.stop('broker-steps');
    const steps: StepRow[] = [
      { path: 'broker', figures: brokerStepFigures },
      {
        path: 'in-process',
        figures: await measureSteps(inProcess, databases.broker.name, stepCount, 32),
      },
    ];
    for (const runner of [raws.statements, raws.pipelined]) {
      await runner.open?.();
      steps.push({
        path: runner.path,
        figures: await measureSteps(runner.steps, runner.database, stepCount, 32),
      });
      await runner.close?.();
    }
    for (const row of steps) {
      for (const f of row.figures) {
        log(
          `  ${row.path} ${f.step}: ${f.rate.toFixed(0)}/s, p99 ${f.latency.p99.toFixed(1)} ms, ` +
            `main ${f.mainThreadMs.toFixed(2)} ms, node ${f.nodeCpuMs.toFixed(2)} ms, pg ${f.pgCpuMs.toFixed(2)} ms`,
        );
      }
    }

    log('components');
    api.reset();
    const health1 = await rateOf(1000, 1, async () => void (await api.get('/health/live')));
    const health32 = await rateOf(3000, 32, async () => void (await api.get('/health/live')));
    const rejected = async () => {
      const response = await api.post('/v1/requests', tokens.requester, {});
      if (response.status !== 400) throw new Error(`expected 400, got ${response.status}`);
    };
    const auth1 = await rateOf(1000, 1, rejected);
    const mainBeforeAuth = mainThreadCpuSeconds();
    const auth32 = await rateOf(3000, 32, rejected);
    const authMainUs = ((mainThreadCpuSeconds() - mainBeforeAuth) * 1e6) / 3000;
    const bare = await bareHttpFigures();
    const jose = await joseFigures(issuer, tokens.requester);
    const commits = await commitFigures(databases.statements.url);

    log('integrator alone');
    const integratorEvents = Math.max(20_000, Math.round(200_000 * SCALE));
    const integratorRuns = await integratorThroughput(
      [shape.create, shape.approve, shape.mint],
      integratorEvents,
      BATCH_SIZES,
      ROUNDS,
    );
    const integrator = BATCH_SIZES.map((batchSize) => {
      const runs = integratorRuns.filter((run) => run.batchSize === batchSize);
      return {
        batchSize,
        events: runs[0]?.events ?? 0,
        perSecond: median(runs.map((run) => run.perSecond)),
        nodeUsPerEvent: median(runs.map((run) => run.nodeUsPerEvent)),
        pgUsPerEvent: median(runs.map((run) => run.pgUsPerEvent)),
        all: runs.map((run) => Math.round(run.perSecond)),
      };
    });
    for (const row of integrator) {
      log(
        `  batch ${row.batchSize}: ${row.events} events, median ${row.perSecond.toFixed(0)}/s ` +
          `(${row.all.join(', ')}), CPU per event: node ${row.nodeUsPerEvent.toFixed(1)} µs, ` +
          `pg ${row.pgUsPerEvent.toFixed(1)} µs`,
      );
    }

    log('broker processes');
    const processes = await processFigures(yaml, encryptionKey, tokens, FLOWS[32]);
    for (const p of processes) {
      log(
        `  ${p.processes} process(es): ${p.flows} flows, ${p.rate.toFixed(0)}/s, mint p99 ` +
          `${p.mint.p99.toFixed(1)} ms, commit → integrated p99 ${p.integrated.p99} ms` +
          (p.failures ? `, FAILURES: ${p.failures}` : ''),
      );
    }

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
        name: 'bare `node:http` POST answering `{"ok":true}` (no framework)',
        c1: '–',
        c32: `${fmtRate(bare.c32)}, ${bare.mainThreadUs.toFixed(0)} µs main-thread CPU per request`,
      },
      {
        name: 'HTTP `GET /health/live` (public: no token, no database)',
        c1: fmtRate(health1),
        c32: fmtRate(health32),
      },
      {
        name: 'HTTP `POST /v1/requests` refused by validation (bearer token checked, no database)',
        c1: fmtRate(auth1),
        c32: `${fmtRate(auth32)}, ${authMainUs.toFixed(0)} µs main-thread CPU per request`,
      },
      {
        name: 'raw `pg` transaction inserting one row (BEGIN, INSERT, COMMIT)',
        c1: fmtRate(commits.plain1),
        c32: fmtRate(commits.plain32),
      },
      {
        name: 'jose `jwtVerify` of a bearer token (EdDSA), in-process',
        c1: fmtRate(jose.verify1),
        c32: fmtRate(jose.verify32),
      },
      {
        name: "the broker's `TokenVerifier.verify`, a signature check every time",
        c1: fmtRate(jose.brokerUncached1),
        c32: '–',
      },
      {
        name: "the broker's `TokenVerifier.verify` of a token it verified before (cached)",
        c1: fmtRate(jose.brokerCached1),
        c32: '–',
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
      flowsPerRun: { c1: FLOWS[1], c32: FLOWS[32], rounds: ROUNDS, steps: stepCount },
      measurements,
      steps,
      components,
      integrator,
      processes,
      sign: { sequentialUs: 1e6 / jose.sign1.perSecond },
      verify: { sequentialUs: 1e6 / jose.verify1.perSecond },
      bareHttpUs: bare.mainThreadUs,
      authMainUs,
    };
    // BENCH_FIGURES=<file>: the figures as JSON, to compare runs or render them again.
    if (process.env.BENCH_FIGURES) {
      await writeFile(process.env.BENCH_FIGURES, JSON.stringify(figures, null, 2));
    }
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
