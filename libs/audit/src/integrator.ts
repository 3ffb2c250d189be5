import { Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import type { EntityManager } from 'typeorm';
import type { Clock } from '#domain';
import type { UnitOfWork } from '#persistence';
import { ADVISORY_LOCKS, AuditEventRow } from '#persistence';
import type { AuditEvent } from './audit-event.js';
import { sealEvent } from './audit-event.js';
import type { ChainedEvent } from './event-rows.js';
import { toAuditEvent, insertEvents } from './event-rows.js';
import { appendPosition, readHead, recordHead } from './chain-head.js';
import { signCheckpoint } from './log/checkpoint.js';
import { keepCheckpoint, latestCheckpoint } from './log/checkpoints.js';
import { eventLeafHash } from './log/leaf.js';
import type { NoteSigner } from './log/note.js';
import type { Hash } from './log/merkle.js';
import { leafHash, storeRootHash } from './log/merkle.js';
import { TileAppender } from './log/tiles.js';
import { readEdgeTiles, writeTiles } from './log/tile-store.js';
import type { TakenEvent } from './pending.js';
import { takePending } from './pending.js';

// One integrator at a time across every process on the database: a transaction-level advisory
// lock, so a process that dies mid-batch releases it with its connection (failover is the next
// process's next attempt).
const INTEGRATOR_LOCK = ADVISORY_LOCKS.auditIntegrator;
const DEFAULT_BATCH = 8192;
// After a busy lock (another process integrating), look again this soon: its batch may have
// been read before our events committed.
const BUSY_RETRY_MS = 25;

export interface LogSigner {
  /** The log key's note signer (LogKeys), undefined until the first key exists. */
  signerIfCreated(): Promise<NoteSigner | undefined>;
}

export interface IntegratorOptions {
  origin: string;
  /** Least time between two checkpoints, in milliseconds. */
  checkpointIntervalMs: number;
  /** How often to look for events other processes left (a crashed writer's), in milliseconds. */
  pollMs?: number;
  batchSize?: number;
}

/** What one integration transaction did. */
interface BatchOutcome {
  /** Another process held the lock: nothing done. */
  busy: boolean;
  /** There may be more to do: a full batch, or the tree caught up with older events. */
  more: boolean;
}

/**
 * Moves committed events from `audit_pending` into the log: assigns `seq`, links the chain,
 * appends their leaves to the Merkle tree and signs a checkpoint when one is due, one batch per
 * transaction. Business transactions never wait for it; readers of the log call `catchUp` first.
 */
export class LogIntegrator implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AuditLog');
  private readonly runs = new Mutex();
  private readonly batchSize: number;
  private again = false;
  private stopped = false;
  private poll?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly keys: LogSigner,
    private readonly clock: Clock,
    private readonly options: IntegratorOptions,
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH;
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.poll = setInterval(() => this.kick(), this.options.pollMs ?? 1000);
    this.poll.unref();
    this.kick();
  }

  /** Stops polling and integrates what is left, before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    clearTimeout(this.retry);
    await this.runs.runExclusive(async () => {
      await this.drain(false).catch((error: unknown) => this.report(error));
    });
  }

  /**
   * Integrates every event committed before the call (waiting for another process's batch if
   * one is running), and signs a checkpoint if one is due.
   */
  async catchUp(): Promise<void> {
    await this.runs.runExclusive(() => this.drain(true));
  }

  /**
   * Integrates as catchUp does, then signs a checkpoint of the whole tree unless the latest
   * already covers it, whatever the interval: for proofs that must cover the newest events
   * (evidence bundles). Nothing when there is no log key yet.
   */
  async checkpointNow(): Promise<void> {
    await this.runs.runExclusive(async () => {
      await this.drain(true);
      await this.uow.run(async (tx) => {
        await this.lock(tx, true);
        const treeSize = (await readHead(tx)).recorded?.treeSize ?? 0;
        const tree = new TileAppender(treeSize, await readEdgeTiles(tx, treeSize));
        await this.checkpointIfDue(tx, tree, { whateverTheInterval: true });
      });
    });
  }

  /** Asks for integration soon, after a commit or on the poll; never throws. */
  kick(): void {
    if (this.stopped) return;
    if (this.runs.isLocked()) {
      this.again = true;
      return;
    }
    void this.runs
      .runExclusive(async () => {
        this.again = false;
        if (await this.drain(false)) this.retrySoon();
      })
      .catch((error: unknown) => this.report(error))
      .finally(() => {
        if (this.again) this.kick();
      });
  }

  /** Batches until the pending table is empty; true when another process held the lock. */
  private async drain(wait: boolean): Promise<boolean> {
    for (;;) {
      const outcome = await this.uow.run((tx) => this.integrateBatch(tx, wait));
      if (outcome.busy) return true;
      if (!outcome.more) return false;
    }
  }

  private retrySoon(): void {
    if (this.stopped) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.kick(), BUSY_RETRY_MS);
    this.retry.unref();
  }

  private async integrateBatch(tx: EntityManager, wait: boolean): Promise<BatchOutcome> {
    if (!(await this.lock(tx, wait))) return { busy: true, more: false };
    const reading = await readHead(tx);
    const head = appendPosition(reading);
    const treeSize = reading.recorded?.treeSize ?? 0;
    const tree = new TileAppender(treeSize, await readEdgeTiles(tx, treeSize));
    let events: ChainedEvent[] = [];
    if (treeSize < head.seq) {
      // The chain has events the tree lacks (a log from before the tree): add those first.
      for (const event of await this.untreed(tx, treeSize, head.seq)) {
        tree.append(eventLeafHash(event));
      }
    } else {
      const chained = chain(await takePending(tx, this.batchSize), head);
      events = chained.map(({ event }) => event);
      for (const { leafHash: leaf } of chained) tree.append(leaf);
      await insertEvents(tx, events);
    }
    await writeTiles(tx, tree.changedTiles());
    const last = events[events.length - 1];
    if (last || tree.size !== treeSize) {
      await recordHead(tx, {
        seq: last?.seq ?? head.seq,
        hash: last?.hash ?? head.hash,
        treeSize: tree.size,
      });
    }
    const more = treeSize < head.seq || events.length >= this.batchSize;
    // A checkpoint at the end of a drain covers all of it, not its first batch.
    if (!more) await this.checkpointIfDue(tx, tree);
    return { busy: false, more };
  }

  private async lock(tx: EntityManager, wait: boolean): Promise<boolean> {
    if (tx.connection.options.type !== 'postgres') return true; // one writer: UnitOfWork's
    if (wait) {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [INTEGRATOR_LOCK]);
      return true;
    }
    const [row] = await tx.query<Array<{ locked: boolean }>>(
      'SELECT pg_try_advisory_xact_lock($1) AS locked',
      [INTEGRATOR_LOCK],
    );
    return row?.locked === true;
  }

  /** Integrated events (treeSize, upTo] the tree does not hold yet, at most a batch. */
  private async untreed(tx: EntityManager, treeSize: number, upTo: number): Promise<AuditEvent[]> {
    const to = Math.min(upTo, treeSize + this.batchSize);
    const rows = await tx
      .createQueryBuilder(AuditEventRow, 'e')
      .where('e.seq > :from AND e.seq <= :to', { from: treeSize, to })
      .orderBy('e.seq', 'ASC')
      .getMany();
    const firstGap = rows.findIndex((row, i) => row.seq !== treeSize + i + 1);
    const missing = firstGap >= 0 ? firstGap : rows.length < to - treeSize ? rows.length : -1;
    if (missing >= 0) {
      throw new Error(
        `audit event ${treeSize + missing + 1} is missing: the tree cannot include it`,
      );
    }
    return rows.map(toAuditEvent);
  }

  /** Signs and keeps a checkpoint when the tree has grown and the interval has passed. */
  private async checkpointIfDue(
    tx: EntityManager,
    tree: TileAppender,
    { whateverTheInterval = false } = {},
  ): Promise<void> {
    const latest = await latestCheckpoint(tx);
    const now = this.clock.now();
    if (latest && latest.size >= tree.size) return;
    const since = latest ? now.getTime() - latest.issuedAt.getTime() : Infinity;
    if (!whateverTheInterval && since < this.options.checkpointIntervalMs) return;
    const signer = await this.keys.signerIfCreated();
    if (!signer) return;
    const rootHash = await storeRootHash(tree, tree.size);
    const note = signCheckpoint({ origin: this.options.origin, size: tree.size, rootHash }, [
      signer,
    ]);
    await keepCheckpoint(tx, {
      size: tree.size,
      rootHash: Buffer.from(rootHash).toString('base64'),
      note,
      issuedAt: now,
    });
  }

  private report(error: unknown): void {
    this.logger.error(
      `audit integration failed (retried on the next poll): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * Assigns seq and links the chain from `head`, in the order the events were written; with each
 * event its leaf hash.
 */
function chain(
  taken: readonly TakenEvent[],
  head: { seq: number; hash: string },
): Array<{ event: ChainedEvent; leafHash: Hash }> {
  let seq = head.seq;
  let prevHash = head.hash;
  return taken.map((pending) => {
    seq += 1;
    const unhashed = {
      seq,
      id: pending.id,
      at: new Date(pending.atMs).toISOString(),
      type: pending.type,
      actor: pending.actor,
      ...(pending.requestId === undefined ? {} : { requestId: pending.requestId }),
      ...(pending.grantId === undefined ? {} : { grantId: pending.grantId }),
      data: pending.data,
      prevHash,
    };
    const sealed = sealEvent(unhashed);
    prevHash = sealed.hash;
    return {
      event: { ...unhashed, atMs: pending.atMs, hash: sealed.hash },
      leafHash: leafHash(Buffer.from(sealed.leaf, 'utf8')),
    };
  });
}
