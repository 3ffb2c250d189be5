import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';
import type { Clock } from '#domain';
import { AuditEventRow, postgresClientOf, runBeforeCommit } from '#persistence';
import type { AuditEvent, AuditEventInput } from './audit-event.js';
import { GENESIS_HASH, assertNoSecrets, hashEvent } from './audit-event.js';
import type { ChainPosition } from './chain-head.js';
import { appendPosition, readHead, recordHead, recordHeadSql } from './chain-head.js';
import { copyText } from './copy-text.js';

// One advisory lock serialises appends on PostgreSQL so that seq and prevHash follow commit order.
// Events are buffered and written last in each transaction (after its row locks and state
// changes), so the lock is held only for those inserts and the COMMIT.
const AUDIT_APPEND_LOCK = 0x636f756e; // "coun"
// Rows per INSERT: 10 columns each stays far below SQLite's bound-parameter limit.
const INSERT_BATCH = 200;
// From this many events on, PostgreSQL gets them by COPY rather than INSERT (see insertPostgres).
export const COPY_FROM_EVENTS = 100;

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
 * Why a chain does not verify: an event changed (`altered`) or absent between others (`missing`);
 * the chain ends before the head recorded in `audit_head` (`truncated`) or the event at that seq
 * is not the one recorded (`head_mismatch`); the head record itself is gone (`head_missing`).
 */
export type ChainBreak = 'altered' | 'missing' | 'truncated' | 'head_mismatch' | 'head_missing';

export interface ChainVerification {
  ok: boolean;
  events: number;
  head: string;
  brokenAt?: number;
  reason?: ChainBreak;
}

export function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    seq: row.seq,
    id: row.id,
    at: row.at.toISOString(),
    type: row.type,
    actor: row.actor,
    ...(row.requestId === null ? {} : { requestId: row.requestId }),
    ...(row.grantId === null ? {} : { grantId: row.grantId }),
    data: row.data,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

export class AuditLog {
  constructor(private readonly clock: Clock) {}

  /** Records an event in the caller's transaction, so it commits with the change it records. */
  async append(tx: EntityManager, input: AuditEventInput): Promise<void> {
    await this.appendMany(tx, [input]);
  }

  /**
   * Records events, in order. In a UnitOfWork transaction they are written just before COMMIT,
   * with the transaction's other events, in one batch; elsewhere at once.
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

  /**
   * Writes events in order under the append lock: one head read, batched inserts, and one
   * statement that records the new head in `audit_head` (on PostgreSQL's INSERT path, part of the
   * INSERT itself).
   */
  private async write(
    tx: EntityManager,
    inputs: readonly AuditEventInput[],
  ): Promise<AuditEvent[]> {
    if (inputs.length === 0) return [];
    if (tx.connection.options.type === 'postgres') {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK]);
    }
    const head = appendPosition(await readHead(tx));
    let seq = head.seq;
    let prevHash = head.hash;
    const at = this.clock.now().toISOString();
    const events = inputs.map((input) => {
      seq += 1;
      const unhashed = {
        seq,
        id: randomUUID(),
        at,
        type: input.type,
        actor: input.actor,
        ...(input.requestId === undefined ? {} : { requestId: input.requestId }),
        ...(input.grantId === undefined ? {} : { grantId: input.grantId }),
        data: input.data ?? {},
        prevHash,
      };
      const event: AuditEvent = { ...unhashed, hash: hashEvent(unhashed) };
      prevHash = event.hash;
      return event;
    });
    const last = events[events.length - 1];
    const newHead = { seq: last.seq, hash: last.hash };
    if (tx.connection.options.type === 'postgres') {
      await this.insertPostgres(tx, events, newHead);
      return events;
    }
    for (let i = 0; i < events.length; i += INSERT_BATCH) {
      const rows = events.slice(i, i + INSERT_BATCH).map((event) => ({
        ...event,
        at: new Date(event.at),
        requestId: event.requestId ?? null,
        grantId: event.grantId ?? null,
      }));
      // The jsonText transformer serialises `data`; TypeORM's deep-partial type cannot see that.
      await tx.getRepository(AuditEventRow).insert(rows as never);
    }
    await recordHead(tx, newHead);
    return events;
  }

  /**
   * One statement for any number of events on PostgreSQL. A batch of revocations at expiry writes
   * thousands of events while holding the append lock; COPY takes about half the time of an INSERT
   * from arrays for those (bench/revocation), but costs a second round trip, which a use case's few
   * events would pay under the lock: they keep the INSERT, which records the head as well.
   */
  private async insertPostgres(
    tx: EntityManager,
    events: readonly AuditEvent[],
    newHead: ChainPosition,
  ): Promise<void> {
    if (events.length < COPY_FROM_EVENTS) {
      await tx.query(
        `WITH head AS (${recordHeadSql(true, 11)})
         INSERT INTO audit_events (seq, id, at, type, actor, request_id, grant_id, data, prev_hash, hash)
         SELECT * FROM unnest($1::bigint[], $2::varchar[], $3::bigint[], $4::varchar[], $5::varchar[],
                              $6::varchar[], $7::varchar[], $8::text[], $9::varchar[], $10::varchar[])`,
        [
          events.map((e) => e.seq),
          events.map((e) => e.id),
          events.map((e) => new Date(e.at).getTime()),
          events.map((e) => e.type),
          events.map((e) => e.actor),
          events.map((e) => e.requestId ?? null),
          events.map((e) => e.grantId ?? null),
          events.map((e) => JSON.stringify(e.data)),
          events.map((e) => e.prevHash),
          events.map((e) => e.hash),
          newHead.seq,
          newHead.hash,
        ],
      );
      return;
    }
    const lines = events.map((e) =>
      [
        String(e.seq),
        copyText(e.id),
        String(new Date(e.at).getTime()),
        copyText(e.type),
        copyText(e.actor),
        copyText(e.requestId),
        copyText(e.grantId),
        copyText(JSON.stringify(e.data)),
        copyText(e.prevHash),
        copyText(e.hash),
      ].join('\t'),
    );
    const copy = (await postgresClientOf(tx)).query(
      copyStreams.from(
        'COPY audit_events (seq, id, at, type, actor, request_id, grant_id, data, prev_hash, hash) FROM STDIN',
      ),
    );
    await pipeline(Readable.from([`${lines.join('\n')}\n`]), copy);
    await recordHead(tx, newHead);
  }

  /**
   * Where the chain ends: the newest event's seq and hash, or the recorded head when newest events
   * were deleted (seq 0 and the genesis hash for an empty log). The next event links here.
   */
  async head(manager: EntityManager): Promise<ChainPosition> {
    return appendPosition(await readHead(manager));
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
   * Recomputes the whole chain in seq order and reports the first event that does not link, then
   * checks that it reaches the head recorded in `audit_head`. The record is read first: every event
   * up to it committed with it, so the reads that follow find them all (later appends only add).
   */
  async verify(manager: EntityManager, batchSize = 1000): Promise<ChainVerification> {
    const { recorded } = await readHead(manager);
    let expectedSeq = 1;
    let head = GENESIS_HASH;
    const broken = (reason: ChainBreak, brokenAt?: number): ChainVerification => ({
      ok: false,
      events: expectedSeq - 1,
      head,
      ...(brokenAt === undefined ? {} : { brokenAt }),
      reason,
    });
    for (;;) {
      const rows = await manager
        .createQueryBuilder(AuditEventRow, 'e')
        .where('e.seq >= :from', { from: expectedSeq })
        .orderBy('e.seq', 'ASC')
        .limit(batchSize)
        .getMany();
      for (const row of rows) {
        const event = toAuditEvent(row);
        const { hash, ...unhashed } = event;
        if (event.seq !== expectedSeq) return broken('missing', expectedSeq);
        if (event.prevHash !== head || hashEvent(unhashed) !== hash) {
          return broken('altered', expectedSeq);
        }
        if (event.seq === recorded?.seq && hash !== recorded.hash) {
          return broken('head_mismatch', expectedSeq);
        }
        head = hash;
        expectedSeq += 1;
      }
      if (rows.length < batchSize) break;
    }
    if (!recorded) return broken('head_missing');
    if (expectedSeq <= recorded.seq) return broken('truncated', expectedSeq);
    return { ok: true, events: expectedSeq - 1, head };
  }
}
