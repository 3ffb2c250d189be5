import type { EntityManager } from 'typeorm';
import { GENESIS_HASH } from './audit-event.js';

/** A place in the chain: an event's seq and hash (seq 0 and the genesis hash before the first). */
export interface ChainPosition {
  seq: number;
  hash: string;
}

/** The chain's head as recorded in `audit_head`, and the newest row of `audit_events`. */
export interface HeadReading {
  /** Undefined when the row is gone: the migration writes it, and appends only rewrite it. */
  recorded?: ChainPosition;
  newest: ChainPosition;
}

const GENESIS: ChainPosition = { seq: 0, hash: GENESIS_HASH };

// One statement, two primary-key lookups.
const READ_HEAD = `
  SELECT h.seq AS head_seq, h.hash AS head_hash, e.seq AS newest_seq, e.hash AS newest_hash
  FROM (SELECT 1 AS one) one
  LEFT JOIN audit_head h ON h.id = 1
  LEFT JOIN (SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1) e ON 1 = 1`;

interface HeadSqlRow {
  head_seq: string | number | null;
  head_hash: string | null;
  newest_seq: string | number | null;
  newest_hash: string | null;
}

export async function readHead(manager: EntityManager): Promise<HeadReading> {
  const [row] = await manager.query<HeadSqlRow[]>(READ_HEAD);
  const position = (seq: string | number | null | undefined, hash: string | null | undefined) =>
    seq === null || seq === undefined || !hash ? undefined : { seq: Number(seq), hash };
  return {
    recorded: position(row?.head_seq, row?.head_hash),
    newest: position(row?.newest_seq, row?.newest_hash) ?? GENESIS,
  };
}

/**
 * Where the next event links: the further of the two. A recorded head beyond the newest row
 * (newest events deleted) keeps its seq and hash, so the gap stays visible to verify whatever is
 * appended after it; rows beyond the record (written around the broker) are never overwritten.
 */
export function appendPosition(reading: HeadReading): ChainPosition {
  const { recorded, newest } = reading;
  return recorded && recorded.seq > newest.seq ? recorded : newest;
}

/** The upsert of the head row, with its seq and hash as parameters `first` and `first + 1`. */
export function recordHeadSql(postgres: boolean, first = 1): string {
  const [seq, hash] = postgres ? [`$${first}`, `$${first + 1}`] : ['?', '?'];
  return `INSERT INTO audit_head (id, seq, hash) VALUES (1, ${seq}, ${hash})
          ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`;
}

/** Rewrites the head row in the append's transaction: one statement, whatever the batch size. */
export async function recordHead(tx: EntityManager, head: ChainPosition): Promise<void> {
  const postgres = tx.connection.options.type === 'postgres';
  await tx.query(recordHeadSql(postgres), [head.seq, head.hash]);
}
