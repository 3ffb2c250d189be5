import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import {
  AdminDashboardRepository,
  GrantRepository,
  RequestRepository,
  SYSTEM_SCOPE,
  openDatabase,
} from '#persistence';
import { buildGrants } from './scale-data.js';
import { createDatabase, percentiles } from './support.js';

// The admin dashboard's reads (docs/performance.md "The admin dashboard at a million grants"):
// a million active grants issued in the last hour (bench:scale's seed) and a million grant end
// events over the last 24 h, each read timed on its own, 20 runs after one warm-up.
// `node dist/bench/admin-dashboard.js [grants] [ended]`.

const grants = Number(process.argv[2] ?? 1_000_000);
const ended = Number(process.argv[3] ?? 1_000_000);
const RUNS = 20;

/** Grant end events spread over the last 24 h, lags of 0–4 s: their chain is not checked here. */
async function seedEndEvents(dataSource: DataSource, count: number, now: number): Promise<void> {
  await dataSource.query(
    `INSERT INTO audit_events (seq, id, at, type, actor, request_id, grant_id, data, prev_hash, hash)
     SELECT i, gen_random_uuid()::varchar, $2::bigint - (($1::bigint - i) * 86400000 / $1::bigint),
            CASE WHEN i % 10 = 0 THEN 'grant.revoked' ELSE 'grant.expired' END, 'system', NULL,
            NULL, '{"role":"scale-read","lagMs":' || (i % 4000) || '}', '', ''
       FROM generate_series(1, $1::bigint) AS i`,
    [count, now],
  );
}

async function time(label: string, read: () => Promise<unknown>): Promise<void> {
  await read();
  const sample: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const started = performance.now();
    await read();
    sample.push(performance.now() - started);
  }
  const { p50, p99 } = percentiles(sample);
  console.log(`${label.padEnd(44)} p50 ${p50.toFixed(1)} ms, max ${p99.toFixed(1)} ms`);
}

async function main(): Promise<void> {
  const database = await createDatabase('_admin');
  const dataSource = await openDatabase({ type: 'postgres', url: database.url });
  try {
    const now = Date.now();
    const built = await buildGrants(database.url, {
      grants,
      firstExpiry: now + 60_000,
      hours: 8,
      kid: 'bench-kid',
      now,
    });
    await seedEndEvents(dataSource, ended, now);
    // As autovacuum leaves them: visibility map set (index-only scans), statistics current.
    await dataSource.query('VACUUM ANALYZE');
    console.log(
      `${grants} active grants (built in ${built.insertS.toFixed(1)} s), ${ended} end events`,
    );
    const manager = dataSource.manager;
    const repository = new AdminDashboardRepository();
    const at = new Date(now);
    await time('counts (active as an estimate)', () =>
      repository.counts(manager, SYSTEM_SCOPE, at),
    );
    await time('exact count of active grants', () =>
      manager.query('SELECT count(*) FROM grant_revocations'),
    );
    await time('issued and ended per hour, 24 h', () =>
      repository.hourly(manager, SYSTEM_SCOPE, at, 24),
    );
    await time('lag histogram, latest 1,000 expiries', () =>
      repository.lagHistogram(manager, SYSTEM_SCOPE, new Date(now - 86_400_000)),
    );
    await time('active grants, first page of 50', () =>
      new GrantRepository().list(manager, SYSTEM_SCOPE, { status: 'active', now: at, limit: 50 }),
    );
    await time('overdue grants, first page of 50', () =>
      new GrantRepository().list(manager, SYSTEM_SCOPE, { overdue: true, now: at, limit: 50 }),
    );
    await time('pending requests, first page of 50', () =>
      new RequestRepository().list(manager, SYSTEM_SCOPE, { status: 'pending', limit: 50 }),
    );
    await time('unreviewed break-glass, first page of 50', () =>
      repository.unreviewedBreakGlass(manager, SYSTEM_SCOPE, { limit: 50 }),
    );
  } finally {
    await dataSource.destroy();
    await database.drop();
  }
}

await main();
