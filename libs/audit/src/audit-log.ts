import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Clock } from '#domain';
import { AuditEventRow, runAfterCommit, runBeforeCommit } from '#persistence';
import type { AuditEvent, AuditEventInput } from './audit-event.js';
import { GENESIS_HASH, assertNoSecrets, hashEvent } from './audit-event.js';
import type { ChainPosition, RecordedHead } from './chain-head.js';
import { appendPosition, readHead } from './chain-head.js';
import { toAuditEvent } from './event-rows.js';
import { openCheckpoint } from './log/checkpoint.js';
import { checkpointsAfter } from './log/checkpoints.js';
import { CompactRange } from './log/compact-range.js';
import { eventLeafHash } from './log/leaf.js';
import type { NoteVerifier } from './log/note.js';
import { insertPending } from './pending.js';

export { toAuditEvent } from './event-rows.js';

export interface AuditFilter {
  type?: string;
  actor?: string;
  requestId?: string;
  since?: Date;
  until?: Date;
  afterSeq?: number;
  limit: number;
}

/**
 * Why a log does not verify: an event changed (`altered`) or absent between others (`missing`);
 * the chain ends before the head recorded in `audit_head` or before a kept checkpoint's size
 * (`truncated`), or the event at the recorded head is not the one recorded (`head_mismatch`); the
 * head record itself is gone (`head_missing`); the tree's root at a kept checkpoint's size is not
 * the one the checkpoint signed (`checkpoint_mismatch`: the log was rewritten); a kept checkpoint
 * is not signed by a log key or does not say what its row says (`checkpoint_invalid`).
 */
export type ChainBreak =
  | 'altered'
  | 'missing'
  | 'truncated'
  | 'head_mismatch'
  | 'head_missing'
  | 'checkpoint_mismatch'
  | 'checkpoint_invalid';

export interface ChainVerification {
  ok: boolean;
  events: number;
  head: string;
  /** The Merkle tree's root over the events verified, base64. */
  rootHash: string;
  /** The newest kept checkpoint the log was checked against. */
  checkpoint?: { size: number; rootHash: string };
  brokenAt?: number;
  reason?: ChainBreak;
}

/** What verification needs besides the database: the log's name and every key it signed with. */
export interface LogIdentity {
  origin: string;
  verifiers: readonly NoteVerifier[];
}

type Listener = () => void;

export class AuditLog {
  private readonly listeners: Listener[] = [];

  constructor(private readonly clock: Clock) {}

  /** Calls `listener` after each commit that wrote events (the integrator's cue). */
  onAppended(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Records an event in the caller's transaction, so it commits with the change it records. */
  async append(tx: EntityManager, input: AuditEventInput): Promise<void> {
    await this.appendMany(tx, [input]);
  }

  /**
   * Records events, in order, as pending: they join the log (seq, chain, tree) when the
   * integrator takes them after commit. In a UnitOfWork transaction they are written just
   * before COMMIT, with the transaction's other events, in one statement; elsewhere at once.
   * No lock: business transactions never wait for each other here.
   */
  async appendMany(tx: EntityManager, inputs: readonly AuditEventInput[]): Promise<void> {
    for (const input of inputs) assertNoSecrets(input.data ?? {});
    const buffer = runBeforeCommit(
      tx,
      'audit',
      (): AuditEventInput[] => [],
      async (events) => {
        await this.write(tx, events);
      },
    );
    if (buffer) buffer.push(...inputs);
    else await this.write(tx, inputs);
  }

  private async write(tx: EntityManager, inputs: readonly AuditEventInput[]): Promise<void> {
    if (inputs.length === 0) return;
    const at = this.clock.now().toISOString();
    await insertPending(
      tx,
      inputs.map((input) => ({ id: randomUUID(), at, input })),
    );
    runAfterCommit(tx, () => this.listeners.forEach((listener) => listener()));
  }

  /**
   * Where the chain ends: the newest event's seq and hash, or the recorded head when newest events
   * were deleted (seq 0 and the genesis hash for an empty log). The next event links here.
   */
  async head(manager: EntityManager): Promise<ChainPosition> {
    return appendPosition(await readHead(manager));
  }

  /** The head as integration last recorded it, with the tree's size; undefined if deleted. */
  async recordedHead(manager: EntityManager): Promise<RecordedHead | undefined> {
    return (await readHead(manager)).recorded;
  }

  async list(manager: EntityManager, filter: AuditFilter): Promise<AuditEvent[]> {
    const query = manager.createQueryBuilder(AuditEventRow, 'e');
    if (filter.type) query.andWhere('e.type = :type', { type: filter.type });
    if (filter.actor) query.andWhere('e.actor = :actor', { actor: filter.actor });
    if (filter.requestId)
      query.andWhere('e.requestId = :requestId', { requestId: filter.requestId });
    if (filter.since) query.andWhere('e.at >= :since', { since: filter.since.getTime() });
    if (filter.until) query.andWhere('e.at < :until', { until: filter.until.getTime() });
    if (filter.afterSeq !== undefined) query.andWhere('e.seq > :after', { after: filter.afterSeq });
    const rows = await query.orderBy('e.seq', 'ASC').limit(filter.limit).getMany();
    return rows.map(toAuditEvent);
  }

  /**
   * Recomputes the whole chain and the Merkle tree in seq order and reports the first event that
   * does not link; checks every kept checkpoint (signed by a log key, and the tree's root at its
   * size), then that the chain reaches the head recorded in `audit_head`. The record is read
   * first: every event up to it committed with it, so the reads that follow find them all.
   * Events still pending are not part of the log yet: integrate first (LogIntegrator.catchUp).
   */
  async verify(
    manager: EntityManager,
    log: LogIdentity,
    batchSize = 1000,
  ): Promise<ChainVerification> {
    const { recorded } = await readHead(manager);
    const tree = new CompactRange();
    let expectedSeq = 1;
    let head = GENESIS_HASH;
    let checked: ChainVerification['checkpoint'];
    const checkpoints = new CheckpointCursor(manager, batchSize);
    const broken = (reason: ChainBreak, brokenAt?: number): ChainVerification => ({
      ok: false,
      events: expectedSeq - 1,
      head,
      rootHash: Buffer.from(tree.root()).toString('base64'),
      ...(checked ? { checkpoint: checked } : {}),
      ...(brokenAt === undefined ? {} : { brokenAt }),
      reason,
    });
    /** Checks the checkpoints of the current size; undefined when they hold. */
    const checkpointsHold = async (): Promise<ChainBreak | undefined> => {
      for (
        let next = await checkpoints.peek();
        next?.size === tree.size;
        next = await checkpoints.peek()
      ) {
        const root = Buffer.from(tree.root()).toString('base64');
        if (!signedAsKept(next, log)) return 'checkpoint_invalid';
        if (next.rootHash !== root) return 'checkpoint_mismatch';
        checked = { size: next.size, rootHash: root };
        await checkpoints.next();
      }
      return undefined;
    };
    for (;;) {
      const rows = await manager
        .createQueryBuilder(AuditEventRow, 'e')
        .where('e.seq >= :from', { from: expectedSeq })
        .orderBy('e.seq', 'ASC')
        .limit(batchSize)
        .getMany();
      for (const row of rows) {
        const atCheckpoint = await checkpointsHold();
        if (atCheckpoint) return broken(atCheckpoint, expectedSeq - 1);
        const event = toAuditEvent(row);
        const { hash, ...unhashed } = event;
        if (event.seq !== expectedSeq) return broken('missing', expectedSeq);
        if (event.prevHash !== head || hashEvent(unhashed) !== hash) {
          return broken('altered', expectedSeq);
        }
        if (event.seq === recorded?.seq && hash !== recorded.hash) {
          return broken('head_mismatch', expectedSeq);
        }
        tree.append(eventLeafHash(event));
        head = hash;
        expectedSeq += 1;
      }
      if (rows.length < batchSize) break;
    }
    const atEnd = await checkpointsHold();
    if (atEnd) return broken(atEnd, expectedSeq - 1);
    if (await checkpoints.peek()) return broken('truncated', expectedSeq);
    if (!recorded) return broken('head_missing');
    if (expectedSeq <= recorded.seq) return broken('truncated', expectedSeq);
    return {
      ok: true,
      events: expectedSeq - 1,
      head,
      rootHash: Buffer.from(tree.root()).toString('base64'),
      ...(checked ? { checkpoint: checked } : {}),
    };
  }
}

/** Whether a kept checkpoint's note verifies with a log key and says what its row says. */
function signedAsKept(
  row: { size: number; rootHash: string; note: string },
  log: LogIdentity,
): boolean {
  try {
    const { checkpoint } = openCheckpoint(row.note, log.verifiers, { origin: log.origin });
    return (
      checkpoint.size === row.size &&
      Buffer.from(checkpoint.rootHash).toString('base64') === row.rootHash
    );
  } catch {
    return false;
  }
}

/** Kept checkpoints in size order, read a page at a time. */
class CheckpointCursor {
  private page: Awaited<ReturnType<typeof checkpointsAfter>> = [];
  private afterSize = -1;
  private exhausted = false;

  constructor(
    private readonly manager: EntityManager,
    private readonly pageSize: number,
  ) {}

  async peek(): Promise<(typeof this.page)[number] | undefined> {
    if (this.page.length === 0 && !this.exhausted) {
      this.page = await checkpointsAfter(this.manager, this.afterSize, this.pageSize);
      if (this.page.length < this.pageSize) this.exhausted = true;
    }
    return this.page[0];
  }

  async next(): Promise<void> {
    const current = await this.peek();
    if (!current) return;
    this.afterSize = current.size;
    this.page.shift();
  }
}
