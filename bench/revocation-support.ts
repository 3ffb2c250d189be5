import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { Tx, UnitOfWork } from '#persistence';
import { GrantRepository, GrantRow } from '#persistence';

// Helpers of bench/revocation.ts: Redis bookkeeping, grant rows, lag statistics and the probes
// that time the ending transactions without changing product code (they wrap instance methods
// and pg's Client#query for the length of a run).

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const REDIS_CONNECTION = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };

export const newQueuePrefix = () => `cs-bench-${randomBytes(6).toString('hex')}`;

export interface LagStats {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank p50 / p99 and the maximum of a sample (ms). */
export function lagStats(sample: readonly number[]): LagStats {
  if (sample.length === 0) return { count: 0, p50: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(sample).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}

/** A Redis client for the bench's own bookkeeping: memory, key counts, hz, clean-up. */
export class RedisProbe {
  private constructor(readonly client: Redis) {}

  static async connect(): Promise<RedisProbe> {
    const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    return new RedisProbe(client);
  }

  async usedMemory(): Promise<number> {
    const info = await this.client.info('memory');
    const match = /^used_memory:(\d+)/m.exec(info);
    if (!match) throw new Error('INFO memory has no used_memory');
    return Number(match[1]);
  }

  async version(): Promise<string> {
    const info = await this.client.info('server');
    return /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown';
  }

  async hz(): Promise<number> {
    const reply = (await this.client.config('GET', 'hz')) as string[];
    return Number(reply[1]);
  }

  async setHz(hz: number): Promise<void> {
    await this.client.config('SET', 'hz', String(hz));
  }

  async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  }

  /**
   * The keys under a prefix and the bytes `MEMORY USAGE` reports for them, summed; and of those,
   * the bytes of the queues' event streams (`…:events`).
   */
  async footprint(prefix: string): Promise<{ keys: number; bytes: number; events: number }> {
    const keys = await this.keys(prefix);
    let bytes = 0;
    let events = 0;
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      const pipeline = this.client.pipeline();
      for (const key of chunk) pipeline.memory('USAGE', key);
      const replies = (await pipeline.exec()) ?? [];
      replies.forEach(([error, value], j) => {
        if (error) return;
        bytes += Number(value ?? 0);
        if (chunk[j].endsWith(':events')) events += Number(value ?? 0);
      });
    }
    return { keys: keys.length, bytes, events };
  }

  async dropPrefix(prefix: string): Promise<void> {
    const keys = await this.keys(prefix);
    for (let i = 0; i < keys.length; i += 1000)
      await this.client.unlink(...keys.slice(i, i + 1000));
  }

  close(): void {
    this.client.disconnect();
  }
}

/** Active `jwt` grants of the bench role, expiring at the given instants. */
export function grantRows(expiries: readonly number[]): GrantRow[] {
  const issuedAt = new Date();
  return expiries.map((expiresAt, i) =>
    Object.assign(new GrantRow(), {
      id: randomUUID(),
      requestId: randomUUID(),
      role: 'bench',
      resource: 'https://bench.example.com',
      recipient: `corp:user-${i}`,
      actions: ['run'],
      approvers: ['corp:bob'],
      status: 'active',
      issuedAt,
      expiresAt: new Date(expiresAt),
      endedAt: null,
      revokedReason: null,
      revokedBy: null,
      revocationFailures: 0,
      nextRevocationAt: null,
      kid: 'bench',
    }),
  );
}

/**
 * Inserts rows with their revocations owed, as a mint does, in batches of 500 (TypeORM `insert`);
 * returns the milliseconds it took.
 */
export async function insertGrants(dataSource: DataSource, rows: readonly GrantRow[]) {
  const started = performance.now();
  const grants = new GrantRepository();
  for (let i = 0; i < rows.length; i += 500) {
    await grants.insert(dataSource.manager, rows.slice(i, i + 500));
  }
  return performance.now() - started;
}

/** `ended_at - expires_at` of every ended grant, from the table; and how many are still active. */
export async function recordedLags(dataSource: DataSource) {
  const rows: { expires_at: string; ended_at: string | null }[] = await dataSource.query(
    // The bench's grants only: a broker running flows meanwhile mints grants of its own role.
    "SELECT expires_at, ended_at FROM grants WHERE role = 'bench'",
  );
  const lags: number[] = [];
  for (const row of rows) {
    if (row.ended_at !== null) lags.push(Number(row.ended_at) - Number(row.expires_at));
  }
  const [events] = await dataSource.query<{ n: string; grants: string }[]>(
    // Integrated or still pending (one statement: one snapshot, so none is counted twice).
    `SELECT count(*) AS n, count(DISTINCT grant_id) AS grants FROM (
       SELECT grant_id FROM audit_events WHERE type = 'grant.expired'
       UNION ALL SELECT grant_id FROM audit_pending WHERE type = 'grant.expired') e`,
  );
  return {
    lags,
    active: rows.length - lags.length,
    events: Number(events?.n ?? 0),
    eventGrants: Number(events?.grants ?? 0),
  };
}

export type Phase =
  'begin' | 'claim' | 'update' | 'auditInsert' | 'commit' | 'other' | 'integrator';

export const PHASES: readonly Phase[] = [
  'begin',
  'claim',
  'update',
  'auditInsert',
  'commit',
  'other',
  'integrator',
];

function phaseOf(sql: string): Phase {
  if (/^\s*(START TRANSACTION|BEGIN)/i.test(sql)) return 'begin';
  if (/^\s*COMMIT/i.test(sql)) return 'commit';
  // The ending transaction's events, written to audit_pending (INSERT from arrays, or COPY).
  if (/^\s*(WITH t AS \([\s\S]*?\)\s*)?(INSERT INTO|COPY) "?audit_pending"?/i.test(sql))
    return 'auditInsert';
  // The ending statement: an UPDATE of the grants, alone or with its revocations in a WITH.
  if (/^\s*(WITH \w+ AS \(\s*)?UPDATE "?grants"?/i.test(sql)) return 'update';
  if (/FROM "?grants"?/.test(sql) && /FOR UPDATE/i.test(sql)) return 'claim';
  return 'other';
}

/** A statement of the integrator's own transactions (its lock, what only it reads and writes). */
const isIntegrators = (sql: string): boolean =>
  /advisory_xact_lock|DELETE FROM "?audit_pending"?|"?audit_(tiles|checkpoints)"?|COPY "?audit_events"?/.test(
    sql,
  );

export interface Statement {
  text: string;
  values: unknown[];
}

interface Sent {
  client: unknown;
  phase: Phase;
  statement: Statement;
  ms?: number;
}

/**
 * Round-trip milliseconds of the statements pg clients send while it is on, by phase. The
 * integrator runs in the same process (its own transactions, on its own connections): a
 * transaction with any of its statements counts whole as `integrator`, apart from the ending
 * transactions' phases.
 */
export class SqlProfile {
  readonly ms = new Map<Phase, number>();
  readonly count = new Map<Phase, number>();
  /** The first statement of each phase. */
  readonly first = new Map<Phase, Statement>();
  private readonly sent: Sent[] = [];
  private restore?: () => void;

  start(): void {
    const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = prototype.query;
    const sent = this.sent;
    prototype.query = function (this: unknown, ...args: unknown[]) {
      const query = args[0] as string | { text?: string };
      const text = typeof query === 'string' ? query : (query.text ?? '');
      const entry: Sent = {
        client: this,
        phase: phaseOf(text),
        statement: { text, values: [...((args[1] as unknown[]) ?? [])] },
      };
      sent.push(entry);
      const started = performance.now();
      const record = () => {
        entry.ms ??= performance.now() - started;
      };
      const result = original.apply(this, args);
      if (result instanceof Promise) {
        return result.then(
          (value: unknown) => {
            record();
            return value;
          },
          (error: unknown) => {
            record();
            throw error;
          },
        );
      }
      // A COPY is a stream: it is over when the stream finishes (or fails).
      if (result && typeof (result as { once?: unknown }).once === 'function') {
        const stream = result as { once(event: string, listener: () => void): void };
        stream.once('finish', record);
        stream.once('error', record);
      }
      return result;
    };
    this.restore = () => {
      prototype.query = original;
    };
  }

  stop(): void {
    this.restore?.();
    this.restore = undefined;
    const byClient = new Map<unknown, Sent[][]>();
    for (const entry of this.sent) {
      const transactions = byClient.get(entry.client) ?? [[]];
      if (entry.phase === 'begin') transactions.push([]);
      transactions[transactions.length - 1].push(entry);
      byClient.set(entry.client, transactions);
    }
    for (const transactions of byClient.values()) {
      for (const transaction of transactions) {
        const integrators = transaction.some((e) => isIntegrators(e.statement.text));
        for (const entry of transaction) {
          const phase = integrators ? 'integrator' : entry.phase;
          if (!this.first.has(phase)) this.first.set(phase, entry.statement);
          if (entry.ms === undefined) continue;
          this.ms.set(phase, (this.ms.get(phase) ?? 0) + entry.ms);
          this.count.set(phase, (this.count.get(phase) ?? 0) + 1);
        }
      }
    }
  }
}

/**
 * Watches the transactions that end grants: which grants each one ended (GrantRepository#endMany)
 * and when it committed (UnitOfWork#run returning), so lag can be measured at commit, when the
 * end becomes visible, as well as from the `ended_at` the transaction records (taken before its
 * claim query).
 */
export class EndingProbe {
  readonly committedLags: number[] = [];
  readonly transactionMs: number[] = [];
  /** Wall-clock ms of the first ending transaction's start and of the last commit. */
  firstStart?: number;
  lastCommit?: number;
  endedTransactions = 0;
  private waiter?: { target: number; resolve: () => void };
  private readonly restorers: (() => void)[] = [];

  constructor(private readonly expiries: ReadonlyMap<string, number>) {}

  attach(uow: UnitOfWork, grants: GrantRepository): void {
    const inFlight = new WeakMap<Tx, string[]>();
    const endMany = grants.endMany.bind(grants);
    grants.endMany = async (tx, ids, ending) => {
      const count = await endMany(tx, ids, ending);
      inFlight.get(tx)?.push(...ids);
      return count;
    };
    const run = uow.run.bind(uow);
    const committed = (ids: readonly string[], startedAt: number, ms: number) =>
      this.committed(ids, startedAt, ms);
    const wrapped = async <T>(work: Parameters<UnitOfWork['run']>[0]): Promise<T> => {
      const ids: string[] = [];
      const startedAt = Date.now();
      const started = performance.now();
      const result = await run(async (tx) => {
        inFlight.set(tx, ids);
        return work(tx);
      });
      committed(ids, startedAt, performance.now() - started);
      return result as T;
    };
    uow.run = wrapped;
    this.restorers.push(
      () => Reflect.deleteProperty(grants, 'endMany'),
      () => Reflect.deleteProperty(uow, 'run'),
    );
  }

  detach(): void {
    for (const restore of this.restorers.splice(0)) restore();
  }

  get ended(): number {
    return this.committedLags.length;
  }

  /** Resolves once `target` grants have been ended and committed, or rejects after `timeoutMs`. */
  waitFor(target: number, timeoutMs: number): Promise<boolean> {
    if (this.ended >= target) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(false);
      }, timeoutMs);
      this.waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
    });
  }

  private committed(ids: readonly string[], startedAt: number, ms: number): void {
    if (ids.length === 0) return;
    const at = Date.now();
    this.firstStart = Math.min(this.firstStart ?? startedAt, startedAt);
    this.lastCommit = at;
    this.endedTransactions += 1;
    this.transactionMs.push(ms);
    for (const id of ids) this.committedLags.push(at - (this.expiries.get(id) ?? NaN));
    if (this.waiter && this.ended >= this.waiter.target) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve();
    }
  }
}

export const sleepUntil = (at: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
