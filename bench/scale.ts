/**
 * A broker and a worker holding a million active grants (issue 14, item 7): ready time (also after
 * Redis lost its jobs), RSS and CPU across idle sweeps, the sweep's wall time, API latency while
 * sweeps run, the jobs Redis holds, and the admin views paged through every grant.
 *
 * Run with `npm run bench:scale -- [--grants N] [--hours H] [--sweep-seconds S]
 * [--window-seconds W] [--paging-seconds P] [--out figures.json]`. It makes its own PostgreSQL database
 * (countersign_bench_*_scale) and Redis prefix (cs-bench-*), both removed at the end, builds the
 * grants with SQL (bench/scale-data.ts), and runs the shipped entrypoints (dist/apps/broker and
 * dist/apps/worker, `revocation.worker: external`) as processes of their own. It prints a markdown
 * table against the targets; docs/performance.md takes its figures by hand.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { REVOCATION_QUEUE } from '#access';
import { ROLE, flowOf, httpSteps } from './broker-flows.js';
import type { BenchIssuer as Issuer } from './support.js';
import { BenchIssuer, Failures, HttpClient, adminQuery, createDatabase } from './support.js';
import { REDIS_CONNECTION, REDIS_URL, RedisProbe, newQueuePrefix } from './revocation-support.js';
import {
  SCALE_APPROVER_GROUP,
  SCALE_RESOURCE,
  SCALE_ROLE,
  bucketsOwed,
  buildGrants,
  currentKid,
} from './scale-data.js';
import type { ServiceKind } from './scale-processes.js';
import { ServiceProcess } from './scale-processes.js';
import type { SweepFigures } from './scale-measure.js';
import {
  ProcessSampler,
  atSteadyRate,
  pageThrough,
  parseHistogram,
  sweepsBetween,
} from './scale-measure.js';
import type { JobCounts, PerProcess, ScaleFigures } from './scale-report.js';
import { renderScale } from './scale-report.js';

const SWEEP_HISTOGRAM = 'countersign_revocation_sweep_seconds';
const READY_TIMEOUT_MS = 300_000;
/** Requests a second of each kind (admin list, full flow) while sweeps run, and for how long. */
const LOAD_RATE = 10;
const LOAD_SECONDS = 30;
/** How long the job counts may keep changing after the first start before the run goes on. */
const SETTLE_CAP_S = 120;
const WATCH_SECONDS = 60;

const log = (message: string) => process.stderr.write(`${message}\n`);

interface Options {
  grants: number;
  hours: number;
  sweepSeconds: number;
  windowSeconds: number;
  /** Time allowed for paging through the whole admin grant list. */
  pagingSeconds: number;
  out?: string;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      grants: { type: 'string', default: '1000000' },
      hours: { type: 'string', default: '8' },
      'sweep-seconds': { type: 'string', default: '5' },
      'window-seconds': { type: 'string', default: '60' },
      'paging-seconds': { type: 'string', default: '180' },
      out: { type: 'string' },
    },
  });
  const number = (name: keyof typeof values, min: number) => {
    const value = Number(values[name]);
    if (!(value >= min)) throw new Error(`--${name} must be a number ≥ ${min}`);
    return value;
  };
  return {
    grants: Math.round(number('grants', 1)),
    hours: number('hours', 0.1),
    sweepSeconds: Math.round(number('sweep-seconds', 1)),
    windowSeconds: number('window-seconds', 10),
    pagingSeconds: number('paging-seconds', 1),
    ...(values.out ? { out: values.out } : {}),
  };
}

function configYaml(issuer: Issuer, prefix: string, o: Options): string {
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
revocation:
  sweepInterval: ${o.sweepSeconds}
  worker: external
  queuePrefix: ${prefix}
policy:
  admins: { groups: [security] }
  roles:
    - name: ${ROLE}
      resource: postgres://prod/payments
      actions: [db:read, db:write]
      maxDuration: 1h
      defaultDuration: 15m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      requireJustification: true
    - name: ${SCALE_ROLE}
      resource: ${SCALE_RESOURCE}
      actions: [read]
      maxDuration: ${Math.ceil(o.hours) + 2}h
      requesters: { groups: [engineering] }
      approvers: { groups: [${SCALE_APPROVER_GROUP}] }
`;
}

/** Everything the run holds, given back in reverse order whatever happens. */
class Cleanup {
  private readonly steps: (() => Promise<void> | void)[] = [];

  add(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await step();
      } catch (error) {
        log(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

class Services {
  readonly running = new Map<ServiceKind, ServiceProcess>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  get(kind: ServiceKind): ServiceProcess {
    const service = this.running.get(kind);
    if (!service) throw new Error(`no ${kind} running`);
    return service;
  }

  get all(): ServiceProcess[] {
    return [...this.running.values()];
  }

  /** Starts the given kinds at the same instant; answers each one's spawn → ready ms. */
  async start(kinds: readonly ServiceKind[]): Promise<PerProcess<number>> {
    const started = await Promise.all(kinds.map((kind) => ServiceProcess.start(kind, this.env)));
    for (const service of started) this.running.set(service.kind, service);
    const readies = await Promise.all(started.map((service) => service.ready(READY_TIMEOUT_MS)));
    const ready: PerProcess<number> = {};
    started.forEach((service, i) => (ready[service.kind] = Math.round(readies[i])));
    log(`  ready: ${JSON.stringify(ready)} ms`);
    return ready;
  }

  async stop(kinds: readonly ServiceKind[] = [...this.running.keys()]): Promise<void> {
    const stopping = kinds.map((kind) => this.running.get(kind)?.stop() ?? Promise.resolve());
    await Promise.all(stopping);
    for (const kind of kinds) this.running.delete(kind);
  }

  async scrape(): Promise<PerProcess<string | undefined>> {
    const texts: PerProcess<string | undefined> = {};
    for (const service of this.all) texts[service.kind] = await service.metrics();
    return texts;
  }
}

function sweepsOf(
  before: PerProcess<string | undefined>,
  after: PerProcess<string | undefined>,
): PerProcess<SweepFigures | null> {
  const sweeps: PerProcess<SweepFigures | null> = {};
  for (const kind of Object.keys(after) as ServiceKind[]) {
    const from = parseHistogram(before[kind], SWEEP_HISTOGRAM);
    const to = parseHistogram(after[kind], SWEEP_HISTOGRAM);
    // A process restarted in between starts its histogram at zero.
    const zero = { count: 0, sum: 0, buckets: new Map<number, number>() };
    sweeps[kind] = to ? sweepsBetween(from ?? zero, to) : null;
  }
  return sweeps;
}

async function jobCounts(queue: Queue): Promise<JobCounts> {
  return queue.getJobCounts('delayed', 'waiting', 'active', 'prioritized', 'failed', 'completed');
}

/** Polls the job counts until they stop changing for three polls, or `capS` passes. */
async function settle(queue: Queue, capS: number): Promise<{ seconds: number; stable: boolean }> {
  const started = performance.now();
  const seen: string[] = [];
  while ((performance.now() - started) / 1000 < capS) {
    seen.push(JSON.stringify(await jobCounts(queue)));
    if (seen.length >= 3 && new Set(seen.slice(-3)).size === 1) {
      return { seconds: Math.round((performance.now() - started) / 1000), stable: true };
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  return { seconds: capS, stable: false };
}

/** Samples the processes for `seconds` while `work` runs (or idle), with the sweeps in between. */
async function observe(services: Services, seconds: number, work?: () => Promise<void>) {
  const sampler = new ProcessSampler(services.all);
  const before = await services.scrape();
  sampler.start();
  const idle = new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));
  const working: Promise<void> = work ? work() : Promise.resolve();
  await Promise.all([idle, working]);
  sampler.stop();
  return { sampler, sweeps: sweepsOf(before, await services.scrape()) };
}

function perProcess<T>(services: Services, read: (service: ServiceProcess) => T): PerProcess<T> {
  const result: PerProcess<T> = {};
  for (const service of services.all) result[service.kind] = read(service);
  return result;
}

function commit(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=no');
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return process.env.BENCH_COMMIT ?? 'unknown';
  }
}

/** The machine's load averages (1, 5, 15 min): the bench shares its cores with whatever runs. */
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function machine(redis: RedisProbe, loadBefore: string): Promise<ScaleFigures['machine']> {
  const [{ version }] = await adminQuery<{ version: string }>('SELECT version()');
  return {
    date: new Date().toISOString().slice(0, 10),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    postgres: version.split(' on ')[0],
    redis: await redis.version(),
    commit: commit(),
    loadBefore,
    loadAfter: load(),
  };
}

async function redisCommands(redis: RedisProbe): Promise<number> {
  const info = await redis.client.info('stats');
  return Number(/^total_commands_processed:(\d+)/m.exec(info)?.[1] ?? NaN);
}

const totalOf = (complaints: Map<string, number>) =>
  [...complaints.values()].reduce((sum, n) => sum + n, 0);

async function main(): Promise<void> {
  const o = options();
  const cleanup = new Cleanup();
  try {
    const redis = await RedisProbe.connect();
    cleanup.add(() => redis.close());
    const issuer = await BenchIssuer.start();
    cleanup.add(() => issuer.close());
    const database = await createDatabase('_scale');
    cleanup.add(() => database.drop());
    const prefix = newQueuePrefix();
    cleanup.add(() => redis.dropPrefix(prefix));
    const configPath = join(tmpdir(), `${prefix}.yaml`);
    writeFileSync(configPath, configYaml(issuer, prefix, o));
    cleanup.add(() => rmSync(configPath, { force: true }));
    const services = new Services({
      COUNTERSIGN_CONFIG: configPath,
      DATABASE_URL: database.url,
      REDIS_URL,
      COUNTERSIGN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    });
    cleanup.add(() => services.stop());
    const queue = new Queue(REVOCATION_QUEUE, { connection: REDIS_CONNECTION, prefix });
    cleanup.add(() => queue.close());
    const figures = await run(o, { redis, issuer, database, prefix, services, queue });
    const report = renderScale(figures);
    process.stdout.write(`${report}\n`);
    if (o.out) {
      await writeFile(o.out, `${JSON.stringify(figures, null, 2)}\n`);
      log(`figures written to ${o.out}`);
    }
  } finally {
    await cleanup.run();
  }
}

interface Rig {
  redis: RedisProbe;
  issuer: Issuer;
  database: { name: string; url: string };
  prefix: string;
  services: Services;
  queue: Queue;
}

async function run(o: Options, rig: Rig): Promise<ScaleFigures> {
  const { redis, issuer, database, prefix, services, queue } = rig;
  const loadBefore = load();
  log(`database ${database.name}, Redis prefix ${prefix}`);
  log('migrations and the signing key: one broker start');
  await services.start(['broker']);
  await services.stop();
  const now = Date.now();
  // Far enough ahead that the insert and the first start end before the first expiry.
  const firstExpiry = now + 30_000 + Math.round(o.grants * 0.15);
  log(`building ${o.grants} grants expiring over ${o.hours} h`);
  const kid = await currentKid(database.url);
  const built = await buildGrants(database.url, { ...o, firstExpiry, kid, now });
  const owed = await bucketsOwed(database.url, Date.now());
  log(`  inserted in ${built.insertS.toFixed(1)} s, ANALYZE ${built.analyzeS.toFixed(1)} s`);

  log('first start of broker and worker (no jobs in Redis for these grants)');
  const cold = await services.start(['broker', 'worker']);
  const settled = await settle(queue, SETTLE_CAP_S);
  const afterColdStart = await jobCounts(queue);
  log(`  jobs ${JSON.stringify(afterColdStart)}, stable: ${settled.stable}`);

  log('restart of both, the jobs in Redis');
  await services.stop();
  const restart = await services.start(['broker', 'worker']);
  const afterRestart = await jobCounts(queue);
  const keys = (await redis.keys(prefix)).length;
  const usedMemoryMb = Math.round((await redis.usedMemory()) / 1e6);

  log(`${o.windowSeconds} s of idle sweeps`);
  const idle = await observe(services, o.windowSeconds);
  const window = {
    seconds: o.windowSeconds,
    rss: perProcess(services, (s) => idle.sampler.rss(s)),
    cycles: perProcess(services, (s) => idle.sampler.cycles(s, o.sweepSeconds)),
    sweeps: idle.sweeps,
  };
  log(`  ${JSON.stringify(window.cycles.broker?.mainMs)}`);

  const api = new HttpClient(services.get('broker').url);
  const tokens = {
    requester: await issuer.token('alice', ['engineering']),
    approver: await issuer.token('bob', ['sre-leads']),
  };
  const admin = await issuer.token('carol', ['security']);
  log(`API load, ${LOAD_RATE}/s lists and ${LOAD_RATE}/s flows for ${LOAD_SECONDS} s`);
  const flow = flowOf(httpSteps(api, tokens));
  const failures = new Failures();
  let list, flows;
  const loaded = await observe(services, 0, async () => {
    [list, flows] = await Promise.all([
      atSteadyRate(LOAD_RATE, LOAD_SECONDS, async () => {
        const page = await api.get('/v1/grants?limit=50', admin);
        if (page.status !== 200) failures.add(`list → ${page.status}`);
        return page.status === 200;
      }),
      atSteadyRate(LOAD_RATE, LOAD_SECONDS, async () => (await flow(failures)) !== undefined),
    ]);
  });
  if (failures.total > 0) log(`  failures: ${failures.describe()}`);
  const apiLoad = {
    seconds: LOAD_SECONDS,
    rate: LOAD_RATE,
    list: list!,
    flow: flows!,
    failures: failures.describe(),
    rss: perProcess(services, (s) => loaded.sampler.rss(s)),
  };

  log('admin views: every page of the grant list');
  const adminViews = {
    all: await pageThrough(api, admin, 'limit=200', { seconds: o.pagingSeconds }),
    active: await pageThrough(api, admin, 'status=active&limit=200', { pages: 5 }),
    overdue: await pageThrough(api, admin, 'overdue=true&limit=200', { pages: 1 }),
  };
  log(`  ${JSON.stringify(adminViews.all)}`);
  api.close();

  log("Redis loses the queue's jobs; the broker restarts");
  await redis.dropPrefix(`${prefix}:${REVOCATION_QUEUE}`);
  await services.stop(['broker']);
  const afterLossReady = await services.start(['broker']);
  const afterLoss = await jobCounts(queue);
  const worker = services.get('worker');
  const workerBefore = new Map(worker.complaints);
  const commandsBefore = await redisCommands(redis);
  const watchStarted = performance.now();
  let lateFrom = new Map<ServiceProcess, number>();
  const lateAt = WATCH_SECONDS - 3 * o.sweepSeconds;
  const watched = await observe(services, WATCH_SECONDS, async () => {
    await new Promise((resolve) => setTimeout(resolve, lateAt * 1000));
    lateFrom = new Map(services.all.map((s) => [s, totalOf(s.complaints)]));
  });
  const afterWatch = await jobCounts(queue);
  const commandsPerS = Math.round(
    ((await redisCommands(redis)) - commandsBefore) / ((performance.now() - watchStarted) / 1000),
  );
  const lateComplaints = services.all.reduce(
    (sum, s) => sum + totalOf(s.complaints) - (lateFrom.get(s) ?? 0),
    0,
  );
  const lossCycles = perProcess(services, (s) => watched.sampler.cycles(s, o.sweepSeconds));
  // Settled: the last three cycles each under a tenth of a core on every process, and quiet logs.
  const quiet = Object.values(lossCycles).every((c) =>
    c.mainMs.all.slice(-3).every((ms) => ms < o.sweepSeconds * 100),
  );
  const complaints = perProcess(services, (s) => {
    const since = s === worker ? workerBefore : new Map<string, number>();
    const delta: Record<string, number> = {};
    for (const [message, n] of s.complaints) {
      const added = n - (since.get(message) ?? 0);
      if (added > 0) delta[message] = added;
    }
    return delta;
  });
  return {
    machine: await machine(redis, loadBefore),
    options: {
      grants: o.grants,
      hours: o.hours,
      sweepSeconds: o.sweepSeconds,
      windowSeconds: o.windowSeconds,
      pagingSeconds: o.pagingSeconds,
    },
    build: {
      insertS: Math.round(built.insertS * 10) / 10,
      analyzeS: Math.round(built.analyzeS * 10) / 10,
      bucketsOwed: owed,
    },
    ready: { cold, restart, afterLoss: afterLossReady },
    settle: settled,
    jobs: { afterColdStart, afterRestart, afterLoss, afterWatch },
    redis: { usedMemoryMb, keys },
    window,
    load: apiLoad,
    admin: adminViews,
    loss: {
      seconds: WATCH_SECONDS,
      cycles: lossCycles,
      rss: perProcess(services, (s) => watched.sampler.rss(s)),
      sweeps: watched.sweeps,
      complaints,
      lateComplaints,
      redisCommandsPerS: commandsPerS,
      settled: quiet && lateComplaints === 0,
    },
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
