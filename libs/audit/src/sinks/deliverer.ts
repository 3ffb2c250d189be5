import { Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Mutex } from 'async-mutex';
import type { Clock } from '#domain';
import type { UnitOfWork } from '#persistence';
import type { BatchRead } from './cursor.js';
import {
  advanceCursor,
  ensureCursor,
  lockCursor,
  readBatch,
  readCursor,
  readPositions,
} from './cursor.js';
import type { AuditSink } from './sink.js';
import { SinkError } from './sink.js';

export interface DelivererOptions {
  /** Events per batch (checkpoints come with them). */
  batchSize?: number;
  /** How often an idle sink looks for new events, in milliseconds. */
  pollMs?: number;
  /** First pause after a failure, doubled after each further one up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A sink whose oldest undelivered event is older than this is reported behind. */
  behindAfterMs?: number;
}

/** What health and metrics say of a sink. */
export interface SinkStatus {
  name: string;
  kind: AuditSink['kind'];
  /** Integrated events not yet delivered. */
  lag: number;
  /** Seconds since the oldest undelivered event was written (absent when none). */
  oldestUndeliveredSeconds?: number;
  behind: boolean;
  /** Why this process's last attempt failed, if it did (words safe to show). */
  lastError?: string;
}

type Step = 'more' | 'caught-up' | 'busy';

const DEFAULTS = {
  batchSize: 500,
  pollMs: 1000,
  backoffMs: 1000,
  maxBackoffMs: 60_000,
  behindAfterMs: 60_000,
};

// SQLite has one writer, this process: one deliverer per sink and database file within it,
// even when several apps share the process (tests).
const sqliteDeliverers = new Map<string, Mutex>();

/**
 * Streams the integrated audit log to each sink from its cursor in the database: a batch is
 * delivered, then the cursor advances, so a crash at worst sends the last batch again. One
 * deliverer per sink across processes (PostgreSQL: the cursor row locked FOR UPDATE SKIP LOCKED
 * while delivering; SQLite: in-process). A failed batch is retried with capped exponential
 * backoff for as long as it takes: nothing is skipped, nothing is given up.
 */
export class SinkDeliverer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AuditSinks');
  private readonly settings: Required<DelivererOptions>;
  private readonly lastErrors = new Map<string, string>();
  private stopping = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(
    private readonly uow: UnitOfWork,
    readonly sinks: readonly AuditSink[],
    private readonly clock: Clock,
    options: DelivererOptions = {},
  ) {
    this.settings = { ...DEFAULTS, ...options };
  }

  onApplicationBootstrap(): void {
    this.stopping = new AbortController();
    this.loops = this.sinks.map((sink) => this.run(sink));
  }

  /** Stops every sink, abandoning a delivery in flight (its batch is sent again next time). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** Each sink's lag and whether it is behind, read from the database. */
  async status(): Promise<SinkStatus[]> {
    const names = this.sinks.map((sink) => sink.name);
    const positions = await this.uow.read((manager) => readPositions(manager, names));
    const now = this.clock.now().getTime();
    return this.sinks.map(({ name, kind }) => {
      const { lag, oldestUndelivered } = positions.get(name) ?? { lag: 0 };
      const ageMs = oldestUndelivered && Math.max(0, now - oldestUndelivered.getTime());
      const lastError = this.lastErrors.get(name);
      return {
        name,
        kind,
        lag,
        ...(ageMs === undefined ? {} : { oldestUndeliveredSeconds: Math.floor(ageMs / 1000) }),
        behind: ageMs !== undefined && ageMs >= this.settings.behindAfterMs,
        ...(lastError === undefined ? {} : { lastError }),
      };
    });
  }

  private async run(sink: AuditSink): Promise<void> {
    const signal = this.stopping.signal;
    let failures = 0;
    let cursorExists = false;
    while (!signal.aborted) {
      let step: Step;
      try {
        if (!cursorExists) await this.ensureCursor(sink);
        cursorExists = true;
        step = await this.step(sink, signal);
      } catch (error) {
        if (signal.aborted) return;
        failures += 1;
        const pause = this.backoff(failures);
        this.failed(sink, error, failures, pause);
        await pauseFor(pause, signal);
        continue;
      }
      if (failures > 0) {
        this.logger.log(`audit sink "${sink.name}" delivers again after ${failures} failures`);
        failures = 0;
        this.lastErrors.delete(sink.name);
      }
      if (step !== 'more') await pauseFor(this.settings.pollMs, signal);
    }
  }

  private async ensureCursor(sink: AuditSink): Promise<void> {
    await this.uow.run((tx) => ensureCursor(tx, sink.name, this.clock.now()));
  }

  /** One batch, if there is one and this process may deliver it. */
  private async step(sink: AuditSink, signal: AbortSignal): Promise<Step> {
    if (this.uow.dataSource.options.type === 'postgres') {
      return this.uow.run(async (tx) => {
        const cursor = await lockCursor(tx, sink.name);
        if (!cursor) return 'busy';
        const read = await readBatch(tx, cursor, this.settings.batchSize);
        if (isEmpty(read)) return 'caught-up';
        await sink.deliver(read.batch, signal);
        await advanceCursor(tx, sink.name, read.next, this.clock.now());
        return read.full ? 'more' : 'caught-up';
      });
    }
    const key = `${String(this.uow.dataSource.options.database)}\0${sink.name}`;
    let local = sqliteDeliverers.get(key);
    if (!local) sqliteDeliverers.set(key, (local = new Mutex()));
    if (local.isLocked()) return 'busy';
    // Delivery happens outside any transaction: SQLite's one writer is not held while a sink
    // answers, and the cursor moves in a transaction of its own once it has.
    return local.runExclusive(async () => {
      const read = await this.uow.read(async (manager) =>
        readBatch(manager, await readCursor(manager, sink.name), this.settings.batchSize),
      );
      if (isEmpty(read)) return 'caught-up';
      await sink.deliver(read.batch, signal);
      await this.uow.run((tx) => advanceCursor(tx, sink.name, read.next, this.clock.now()));
      return read.full ? 'more' : 'caught-up';
    });
  }

  private backoff(failures: number): number {
    const { backoffMs, maxBackoffMs } = this.settings;
    const capped = Math.min(maxBackoffMs, backoffMs * 2 ** Math.min(failures - 1, 30));
    // Jitter, so replicas and sinks that failed together do not retry together.
    return Math.round(capped * (0.8 + Math.random() * 0.2));
  }

  private failed(sink: AuditSink, error: unknown, failures: number, pauseMs: number): void {
    const reason =
      error instanceof SinkError
        ? error.message
        : `${error instanceof Error ? error.message : String(error)}`.slice(0, 300);
    this.lastErrors.set(sink.name, reason);
    this.logger.warn(
      `audit sink "${sink.name}" (${sink.kind}): ${reason}; retrying in ${Math.ceil(pauseMs / 1000)} s (${failures} failures in a row)`,
    );
  }
}

function isEmpty(read: BatchRead): boolean {
  return read.batch.events.length === 0 && read.batch.checkpoints.length === 0;
}

/** Waits, or returns early when the deliverer stops. */
async function pauseFor(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}
