import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';
import type { AuditEventRow } from '#persistence';
import { postgresClientOf } from '#persistence';
import type { AuditEvent } from './audit-event.js';
import { copyText } from './copy-text.js';
import type { TakenEvent } from './pending.js';

// Rows per INSERT on SQLite.
const INSERT_BATCH = 90;
// From this many rows on, PostgreSQL gets them by COPY rather than INSERT: about half the time for
// thousands of rows (bench/revocation), one more round trip for a few.
export const COPY_FROM_ROWS = 100;

const isPostgres = (tx: EntityManager): boolean => tx.connection.options.type === 'postgres';

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

/** A pending event the integrator chained, as it goes into `audit_events`. */
export interface ChainedEvent extends TakenEvent {
  seq: number;
  prevHash: string;
  hash: string;
}

/** Inserts chained events into `audit_events`: COPY or one INSERT from arrays on PostgreSQL. */
export async function insertEvents(
  tx: EntityManager,
  events: readonly ChainedEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const columns = 'seq, id, at, type, actor, request_id, grant_id, data, prev_hash, hash';
  if (!isPostgres(tx)) {
    // Ten parameters a row: far below SQLite's bound-parameter limit.
    for (let i = 0; i < events.length; i += INSERT_BATCH) {
      const chunk = events.slice(i, i + INSERT_BATCH);
      await tx.query(
        `INSERT INTO audit_events (${columns})
         VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        chunk.flatMap((e) => [
          e.seq,
          e.id,
          e.atMs,
          e.type,
          e.actor,
          e.requestId ?? null,
          e.grantId ?? null,
          e.data,
          e.prevHash,
          e.hash,
        ]),
      );
    }
    return;
  }
  if (events.length < COPY_FROM_ROWS) {
    await tx.query(
      `INSERT INTO audit_events (${columns})
       SELECT * FROM unnest($1::bigint[], $2::varchar[], $3::bigint[], $4::varchar[], $5::varchar[],
                            $6::varchar[], $7::varchar[], $8::text[], $9::varchar[], $10::varchar[])`,
      [
        events.map((e) => e.seq),
        events.map((e) => e.id),
        events.map((e) => e.atMs),
        events.map((e) => e.type),
        events.map((e) => e.actor),
        events.map((e) => e.requestId ?? null),
        events.map((e) => e.grantId ?? null),
        events.map((e) => e.data),
        events.map((e) => e.prevHash),
        events.map((e) => e.hash),
      ],
    );
    return;
  }
  await copyRows(
    tx,
    `COPY audit_events (${columns}) FROM STDIN`,
    events.map((e) => [
      String(e.seq),
      copyText(e.id),
      String(e.atMs),
      copyText(e.type),
      copyText(e.actor),
      copyText(e.requestId),
      copyText(e.grantId),
      copyText(e.data),
      copyText(e.prevHash),
      copyText(e.hash),
    ]),
  );
}

/** COPY ... FROM STDIN of rows of already-escaped text fields. */
export async function copyRows(
  tx: EntityManager,
  copySql: string,
  rows: string[][],
): Promise<void> {
  const lines = rows.map((fields) => fields.join('\t'));
  const copy = (await postgresClientOf(tx)).query(copyStreams.from(copySql));
  await pipeline(Readable.from([`${lines.join('\n')}\n`]), copy);
}
