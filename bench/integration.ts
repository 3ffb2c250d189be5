import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { LogIntegrator, generateSigner } from '#audit';
import { UnitOfWork, openDatabase } from '#persistence';
import {
  mainThreadCpuSeconds,
  postgresBackendTicks,
  postgresCpuSecondsBetween,
  startCpuProfile,
} from './probes.js';
import type { AuditShape } from './raw-pg.js';
import { createDatabase } from './support.js';

/**
 * Commit to integrated, seen from outside and with no hook in the broker: every `intervalMs` it
 * reads the events integrated since its last look; each one's `at` (the instant its transaction
 * wrote it, just before COMMIT) to now is how long it took to appear in `audit_events`. So each
 * figure is an upper bound, by up to the interval plus one poll's round trip.
 */
export class IntegrationWatcher {
  private readonly latencies: number[] = [];
  private running = true;
  private loop?: Promise<void>;

  private constructor(private readonly client: pg.Client) {}

  static async start(url: string, intervalMs = 5): Promise<IntegrationWatcher> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const watcher = new IntegrationWatcher(client);
    const head = await client.query<{ seq: string | null }>(
      'SELECT max(seq) AS seq FROM audit_events',
    );
    let after = Number(head.rows[0]?.seq ?? 0);
    watcher.loop = (async () => {
      while (watcher.running) {
        const seen = await client.query<{ seq: string; at: string }>(
          'SELECT seq, at FROM audit_events WHERE seq > $1 ORDER BY seq',
          [after],
        );
        const now = Date.now();
        for (const row of seen.rows) watcher.latencies.push(now - Number(row.at));
        if (seen.rows.length > 0) after = Number(seen.rows[seen.rows.length - 1].seq);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    })();
    return watcher;
  }

  async stop(): Promise<number[]> {
    this.running = false;
    await this.loop;
    await this.client.end();
    return this.latencies;
  }
}

export interface IntegratorRun {
  batchSize: number;
  events: number;
  seconds: number;
  perSecond: number;
  /** CPU per event: this process's main thread, and the database's backends. */
  nodeUsPerEvent: number;
  pgUsPerEvent: number;
}

/** The events of `transactions` flows' steps, as COPY text: the shapes the broker wrote. */
function pendingCopyText(shapes: readonly AuditShape[][], transactions: number, firstTxn: number) {
  const lines: string[] = [];
  const at = Date.now();
  for (let t = 0; t < transactions; t++) {
    const shape = shapes[t % shapes.length];
    const requestId = randomUUID();
    shape.forEach((audit, ord) => {
      // The shapes' data is JSON without tabs, newlines or backslashes: COPY text as is.
      lines.push(
        [
          firstTxn + t,
          ord,
          randomUUID(),
          at,
          audit.type,
          audit.actor,
          requestId,
          '\\N',
          audit.data,
        ].join('\t'),
      );
    });
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The integrator alone: `events` pending events (the flow's steps' shapes, one transaction per
 * step) put into `audit_pending` by COPY, then one `catchUp()` timed, for each batch size in
 * turn and `repeats` times (sizes rotated each round). A database of its own, made by the
 * migrations; a note signer of its own; checkpoints at most every second, as in production.
 * BENCH_CPU_PROFILE=<dir> writes a V8 profile of each catch-up.
 */
export async function integratorThroughput(
  shapes: readonly AuditShape[][],
  events: number,
  batchSizes: readonly number[],
  repeats: number,
): Promise<IntegratorRun[]> {
  const database = await createDatabase('_integrator');
  const dataSource = await openDatabase({ type: 'postgres', url: database.url });
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const signer = generateSigner('bench.example/audit');
  const runs: IntegratorRun[] = [];
  try {
    const perTransaction = shapes.reduce((sum, s) => sum + s.length, 0) / shapes.length;
    const transactions = Math.round(events / perTransaction);
    let txn = 1;
    for (let round = 0; round < repeats; round++) {
      for (let k = 0; k < batchSizes.length; k++) {
        const batchSize = batchSizes[(k + round) % batchSizes.length];
        const text = pendingCopyText(shapes, transactions, txn);
        txn += transactions;
        const copy = client.query(
          copyStreams.from(
            'COPY audit_pending (txn, ord, event_id, at, type, actor, request_id, grant_id, data) FROM STDIN',
          ),
        );
        await pipeline(Readable.from([text]), copy);
        const filled = await client.query<{ n: string }>('SELECT count(*) AS n FROM audit_pending');
        await client.query('VACUUM ANALYZE audit_pending');
        const integrator = new LogIntegrator(
          new UnitOfWork(dataSource),
          { signerIfCreated: () => Promise.resolve(signer) },
          { now: () => new Date() },
          { origin: 'bench.example/audit', checkpointIntervalMs: 1000, batchSize },
        );
        const pgBefore = postgresBackendTicks(database.name);
        const mainBefore = mainThreadCpuSeconds();
        const profile = await startCpuProfile();
        const started = performance.now();
        await integrator.catchUp();
        const seconds = (performance.now() - started) / 1000;
        await profile?.stop(`integrator-${batchSize}-${round}`);
        const node = mainThreadCpuSeconds() - mainBefore;
        const pgCpu = postgresCpuSecondsBetween(pgBefore, postgresBackendTicks(database.name));
        const n = Number(filled.rows[0]?.n ?? 0);
        runs.push({
          batchSize,
          events: n,
          seconds,
          perSecond: n / seconds,
          nodeUsPerEvent: (node * 1e6) / n,
          pgUsPerEvent: (pgCpu * 1e6) / n,
        });
      }
    }
    return runs;
  } finally {
    await client.end();
    await dataSource.destroy();
    await database.drop();
  }
}
