import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';
import type { Clock } from '#domain';
import { AuditEventRow, postgresClientOf, runBeforeCommit } from '#persistence';
import type { AuditEvent, AuditEventInput } from './audit-event.js';
import { GENESIS_HASH, assertNoSecrets, hashEvent } from './audit-event.js';
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

export interface ChainVerification {
  ok: boolean;
  events: number;
  head: string;
  brokenAt?: number;
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

  /** Writes events in order with one head read and batched inserts, under the append lock. */
  private async write(
    tx: EntityManager,
    inputs: readonly AuditEventInput[],
  ): Promise<AuditEvent[]> {
    if (inputs.length === 0) return [];
    if (tx.connection.options.type === 'postgres') {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK]);
    }
    const head = await this.head(tx);
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
    if (tx.connection.options.type === 'postgres') {
      await this.insertPostgres(tx, events);
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
    return events;
  }

  /**
   * One statement for any number of events on PostgreSQL. A batch of revocations at expiry writes
   * thousands of events while holding the append lock; COPY takes about half the time of an INSERT
   * from arrays for those (bench/revocation), but costs a second round trip, which a use case's few
   * events would pay under the lock: they keep the INSERT.
   */
  private async insertPostgres(tx: EntityManager, events: readonly AuditEvent[]): Promise<void> {
    if (events.length < COPY_FROM_EVENTS) {
      await tx.query(
        `INSERT INTO audit_events (seq, id, at, type, actor, request_id, grant_id, data, prev_hash, hash)
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
  }

  /** The newest event's position and hash (seq 0 and the genesis hash for an empty log). */
  async head(manager: EntityManager): Promise<{ seq: number; hash: string }> {
    const row = await manager
      .createQueryBuilder(AuditEventRow, 'e')
      .orderBy('e.seq', 'DESC')
      .limit(1)
      .getOne();
    return { seq: row?.seq ?? 0, hash: row?.hash ?? GENESIS_HASH };
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

  /** Recomputes the whole chain in seq order and reports the first event that does not link. */
  async verify(manager: EntityManager, batchSize = 1000): Promise<ChainVerification> {
    let expectedSeq = 1;
    let head = GENESIS_HASH;
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
        if (event.seq !== expectedSeq || event.prevHash !== head || hashEvent(unhashed) !== hash) {
          return { ok: false, events: expectedSeq - 1, head, brokenAt: expectedSeq };
        }
        head = hash;
        expectedSeq += 1;
      }
      if (rows.length < batchSize) return { ok: true, events: expectedSeq - 1, head };
    }
  }
}
