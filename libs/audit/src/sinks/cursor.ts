import type { EntityManager } from 'typeorm';
import { AuditCheckpointRow, AuditEventRow } from '#persistence';
import { toAuditEvent } from '../event-rows.js';
import type { SinkBatch } from './batch.js';

/** How far a sink has been sent: the last event seq and the last checkpoint size. */
export interface SinkCursor {
  eventSeq: number;
  checkpointSize: number;
}

export interface BatchRead {
  batch: SinkBatch;
  /** The cursor once the batch is delivered. */
  next: SinkCursor;
  /** The batch is full: there may be more right behind it. */
  full: boolean;
}

interface CursorSqlRow {
  event_seq: string | number;
  checkpoint_size: string | number;
}

const isPostgres = (manager: EntityManager): boolean =>
  manager.connection.options.type === 'postgres';

/** `$n` on PostgreSQL, `?` on SQLite. */
const param = (manager: EntityManager, n: number): string => (isPostgres(manager) ? `$${n}` : '?');

const toCursor = (row: CursorSqlRow): SinkCursor => ({
  eventSeq: Number(row.event_seq),
  checkpointSize: Number(row.checkpoint_size),
});

/** A cursor at the start of the log for each name that has none. */
export async function ensureCursor(tx: EntityManager, name: string, now: Date): Promise<void> {
  await tx.query(
    `INSERT INTO audit_sink_cursors (name, event_seq, checkpoint_size, updated_at)
     VALUES (${param(tx, 1)}, 0, 0, ${param(tx, 2)}) ON CONFLICT (name) DO NOTHING`,
    [name, now.getTime()],
  );
}

/**
 * The sink's cursor, locked for this transaction on PostgreSQL: undefined when another process
 * holds it (it is delivering to this sink), so there is one deliverer per sink at a time.
 */
export async function lockCursor(tx: EntityManager, name: string): Promise<SinkCursor | undefined> {
  const [row] = await tx.query<CursorSqlRow[]>(
    `SELECT event_seq, checkpoint_size FROM audit_sink_cursors WHERE name = $1
     FOR UPDATE SKIP LOCKED`,
    [name],
  );
  return row && toCursor(row);
}

export async function readCursor(manager: EntityManager, name: string): Promise<SinkCursor> {
  const [row] = await manager.query<CursorSqlRow[]>(
    `SELECT event_seq, checkpoint_size FROM audit_sink_cursors WHERE name = ${param(manager, 1)}`,
    [name],
  );
  if (!row) throw new Error(`audit sink ${name} has no cursor`);
  return toCursor(row);
}

export async function advanceCursor(
  tx: EntityManager,
  name: string,
  cursor: SinkCursor,
  now: Date,
): Promise<void> {
  await tx.query(
    `UPDATE audit_sink_cursors SET event_seq = ${param(tx, 1)}, checkpoint_size = ${param(tx, 2)},
       updated_at = ${param(tx, 3)} WHERE name = ${param(tx, 4)}`,
    [cursor.eventSeq, cursor.checkpointSize, now.getTime(), name],
  );
}

/**
 * Up to `limit` integrated events after the cursor, stopping short of any missing seq (a hole is
 * never skipped: the stream waits at it), and the checkpoints the sink lacks up to the last event
 * it will then have. Throws when the very next event is missing but later ones exist.
 */
export async function readBatch(
  manager: EntityManager,
  cursor: SinkCursor,
  limit: number,
): Promise<BatchRead> {
  const rows = await manager
    .createQueryBuilder(AuditEventRow, 'e')
    .where('e.seq > :after', { after: cursor.eventSeq })
    .orderBy('e.seq', 'ASC')
    .limit(limit)
    .getMany();
  const contiguous = rows.findIndex((row, i) => row.seq !== cursor.eventSeq + i + 1);
  const events = (contiguous < 0 ? rows : rows.slice(0, contiguous)).map(toAuditEvent);
  if (rows.length > 0 && events.length === 0) {
    throw new Error(`audit event ${cursor.eventSeq + 1} is missing: the stream waits for it`);
  }
  const upTo = cursor.eventSeq + events.length;
  const checkpoints = await manager
    .createQueryBuilder(AuditCheckpointRow, 'c')
    .where('c.size > :after AND c.size <= :upTo', { after: cursor.checkpointSize, upTo })
    .orderBy('c.size', 'ASC')
    .limit(limit)
    .getMany();
  const last = checkpoints[checkpoints.length - 1];
  return {
    batch: {
      events,
      checkpoints: checkpoints.map((row) => ({
        size: row.size,
        rootHash: row.rootHash,
        issuedAt: row.issuedAt.toISOString(),
        note: row.note,
      })),
    },
    next: { eventSeq: upTo, checkpointSize: last?.size ?? cursor.checkpointSize },
    full: rows.length >= limit || checkpoints.length >= limit,
  };
}

/** Where a sink stands against the log's head. */
export interface SinkPosition {
  /** Integrated events the sink has not been sent. */
  lag: number;
  /** When the oldest of them was written, if any. */
  oldestUndelivered?: Date;
}

/** Each named sink's position (a sink with no cursor yet is at the start of the log). */
export async function readPositions(
  manager: EntityManager,
  names: readonly string[],
): Promise<Map<string, SinkPosition>> {
  const [head] = await manager.query<Array<{ seq: string | number | null }>>(
    'SELECT MAX(seq) AS seq FROM audit_events',
  );
  const headSeq = Number(head?.seq ?? 0);
  const rows = await manager.query<Array<{ name: string; event_seq: string | number }>>(
    'SELECT name, event_seq FROM audit_sink_cursors',
  );
  const delivered = new Map(rows.map((row) => [row.name, Number(row.event_seq)]));
  const positions = new Map<string, SinkPosition>();
  for (const name of names) {
    const eventSeq = delivered.get(name) ?? 0;
    if (headSeq <= eventSeq) {
      positions.set(name, { lag: 0 });
      continue;
    }
    const next = await manager
      .createQueryBuilder(AuditEventRow, 'e')
      .where('e.seq > :after', { after: eventSeq })
      .orderBy('e.seq', 'ASC')
      .limit(1)
      .getOne();
    positions.set(name, { lag: headSeq - eventSeq, oldestUndelivered: next?.at });
  }
  return positions;
}
