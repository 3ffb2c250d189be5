import type { EntityManager } from 'typeorm';
import type { AuditEventInput } from './audit-event.js';
import { canonicalData } from './audit-event.js';
import { copyText } from './copy-text.js';
import { COPY_FROM_ROWS, copyRows } from './event-rows.js';

/** An event as its transaction wrote it: no seq and no chain yet. */
export interface PendingEvent {
  id: string;
  at: string;
  input: AuditEventInput;
}

/** A pending event as the integrator takes it: its data still the canonical JSON text written. */
export interface TakenEvent {
  id: string;
  atMs: number;
  type: string;
  actor: string;
  requestId?: string;
  grantId?: string;
  /** RFC 8785 canonical JSON (insertPending wrote it so). */
  data: string;
}

const isPostgres = (tx: EntityManager): boolean => tx.connection.options.type === 'postgres';
const COLUMNS = 'event_id, at, type, actor, request_id, grant_id, data';

const atMs = (e: PendingEvent): number => new Date(e.at).getTime();

// JSON writes a lone surrogate as a \udXXX escape (and nothing else in that range): one preceded
// by an even number of backslashes is an escape, not text that reads like one.
const LONE_SURROGATE_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/i;
const LONE_SURROGATE_ESCAPES = new RegExp(LONE_SURROGATE_ESCAPE.source, 'gi');
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The event with every lone surrogate replaced by U+FFFD: for a pending row written around
 * `insertPending` (which refuses them), so that it cannot stop the log behind it.
 */
export function integrableCopy<T>(event: T): T {
  const json = JSON.stringify(event).replace(
    LONE_SURROGATE_ESCAPES,
    (escape) => `${escape.slice(0, -6)}\\ufffd`,
  );
  return JSON.parse(json) as T;
}

/**
 * The data as the log can hold it: written once here as RFC 8785 canonical JSON, which refuses a
 * lone surrogate, as the other strings are refused: a pending event the integrator could never
 * integrate would stop the log behind it. Refused in the writing transaction, which then fails:
 * no change without its audit event.
 */
function integrableData(e: PendingEvent): string {
  const { type, actor, requestId = '', grantId = '' } = e.input;
  if (LONE_SURROGATE.test(`${type}${actor}${requestId}${grantId}`)) {
    throw new Error('audit event is not serialisable: a string holds a lone surrogate');
  }
  return canonicalData(e.input.data ?? {});
}

/**
 * Writes one transaction's events to `audit_pending`, in order, with no lock: they share a `txn`
 * number (drawn from a sequence on PostgreSQL) and `ord` is their place. One statement on
 * PostgreSQL (INSERT from arrays), two for many events (a number, then COPY).
 */
export async function insertPending(
  tx: EntityManager,
  events: readonly PendingEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const data = events.map(integrableData);
  if (!isPostgres(tx)) {
    await insertPendingSqlite(tx, events, data);
    return;
  }
  if (events.length < COPY_FROM_ROWS) {
    await tx.query(
      `WITH t AS (SELECT nextval('audit_pending_txn') AS txn)
       INSERT INTO audit_pending (txn, ord, ${COLUMNS})
       SELECT t.txn, e.ord - 1, e.id, e.at, e.type, e.actor, e.request_id, e.grant_id, e.data
       FROM t, unnest($1::varchar[], $2::bigint[], $3::varchar[], $4::varchar[], $5::varchar[],
                      $6::varchar[], $7::text[])
            WITH ORDINALITY AS e(id, at, type, actor, request_id, grant_id, data, ord)`,
      [
        events.map((e) => e.id),
        events.map(atMs),
        events.map((e) => e.input.type),
        events.map((e) => e.input.actor),
        events.map((e) => e.input.requestId ?? null),
        events.map((e) => e.input.grantId ?? null),
        data,
      ],
    );
    return;
  }
  const [{ txn }] = await tx.query<Array<{ txn: string }>>(
    `SELECT nextval('audit_pending_txn') AS txn`,
  );
  await copyRows(
    tx,
    `COPY audit_pending (txn, ord, ${COLUMNS}) FROM STDIN`,
    events.map((e, ord) => [
      txn,
      String(ord),
      copyText(e.id),
      String(atMs(e)),
      copyText(e.input.type),
      copyText(e.input.actor),
      copyText(e.input.requestId),
      copyText(e.input.grantId),
      copyText(data[ord]),
    ]),
  );
}

/** One writer on SQLite: the next txn is one past the highest waiting. */
async function insertPendingSqlite(
  tx: EntityManager,
  events: readonly PendingEvent[],
  data: readonly string[],
): Promise<void> {
  const [{ txn }] = await tx.query<Array<{ txn: number }>>(
    'SELECT COALESCE(MAX(txn), 0) + 1 AS txn FROM audit_pending',
  );
  // Nine parameters a row: 100 rows stay far below SQLite's bound-parameter limit.
  for (let i = 0; i < events.length; i += 100) {
    const chunk = events.slice(i, i + 100);
    await tx.query(
      `INSERT INTO audit_pending (txn, ord, ${COLUMNS})
       VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      chunk.flatMap((e, j) => [
        txn,
        i + j,
        e.id,
        atMs(e),
        e.input.type,
        e.input.actor,
        e.input.requestId ?? null,
        e.input.grantId ?? null,
        data[i + j],
      ]),
    );
  }
}

interface PendingSqlRow {
  txn: string | number;
  ord: number;
  event_id: string;
  at: string | number;
  type: string;
  actor: string;
  request_id: string | null;
  grant_id: string | null;
  data: string;
}

/**
 * Removes committed pending events, at least `limit` when there are that many, in whole
 * transactions (a transaction committing later with a lower number must not land between two
 * halves of another), and returns them in order. The caller integrates them in the same
 * transaction, so a rollback puts them back. Only the integrator (one at a time, under its
 * lock) deletes; writers only insert.
 */
export async function takePending(tx: EntityManager, limit: number): Promise<TakenEvent[]> {
  const pg = isPostgres(tx);
  // The txn of the limit-th row in order, or of the last row when there are fewer.
  const cutoff = `COALESCE(
      (SELECT txn FROM audit_pending ORDER BY txn, ord LIMIT 1 OFFSET ${pg ? '$1' : '?'}),
      (SELECT MAX(txn) FROM audit_pending))`;
  let rows: PendingSqlRow[];
  if (pg) {
    // TypeORM's query() answers a DELETE ... RETURNING with [rows, count].
    const [deleted] = await tx.query<[PendingSqlRow[], number]>(
      `DELETE FROM audit_pending WHERE txn <= ${cutoff} RETURNING txn, ord, ${COLUMNS}`,
      [limit - 1],
    );
    rows = deleted;
  } else {
    rows = await tx.query<PendingSqlRow[]>(
      `SELECT txn, ord, ${COLUMNS} FROM audit_pending WHERE txn <= ${cutoff} ORDER BY txn, ord`,
      [limit - 1],
    );
    if (rows.length > 0) {
      await tx.query('DELETE FROM audit_pending WHERE txn <= ?', [
        Number(rows[rows.length - 1].txn),
      ]);
    }
  }
  return rows
    .sort((a, b) => Number(a.txn) - Number(b.txn) || a.ord - b.ord)
    .map((row) => ({
      id: row.event_id,
      atMs: Number(row.at),
      type: row.type,
      actor: row.actor,
      ...(row.request_id === null ? {} : { requestId: row.request_id }),
      ...(row.grant_id === null ? {} : { grantId: row.grant_id }),
      data: LONE_SURROGATE_ESCAPE.test(row.data) ? repairedData(row.data) : row.data,
    }));
}

/** Data written around insertPending with a lone surrogate: U+FFFD in its place, canonical. */
function repairedData(text: string): string {
  return canonicalData(integrableCopy(JSON.parse(text) as Record<string, unknown>));
}

/** How many events wait to be integrated. */
export async function countPending(manager: EntityManager): Promise<number> {
  const [row] = await manager.query<Array<{ n: string | number }>>(
    'SELECT COUNT(*) AS n FROM audit_pending',
  );
  return Number(row?.n ?? 0);
}
