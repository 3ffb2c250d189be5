import type { EntityManager } from 'typeorm';
import { GENESIS_HASH } from './audit-event.js';

/** A place in the chain: an event's seq and hash (seq 0 and the genesis hash before the first). */
export interface ChainPosition {
  seq: number;
  hash: string;
}

/** The recorded head: where the chain ends and how many of its events the Merkle tree holds. */
export interface RecordedHead extends ChainPosition {
  treeSize: number;
}

/** The chain's head as recorded in `audit_head`, and the newest row of `audit_events`. */
export interface HeadReading {
  /** Undefined when the row is gone: the migration writes it, and integration only rewrites it. */
  recorded?: RecordedHead;
  newest: ChainPosition;
}

const GENESIS: ChainPosition = { seq: 0, hash: GENESIS_HASH };

// One statement, two primary-key lookups.
const READ_HEAD = `
  SELECT h.seq AS head_seq, h.hash AS head_hash, h.tree_size AS tree_size,
         e.seq AS newest_seq, e.hash AS newest_hash
  FROM (SELECT 1 AS one) one
  LEFT JOIN audit_head h ON h.id = 1
  LEFT JOIN (SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1) e ON 1 = 1`;

interface HeadSqlRow {
  head_seq: string | number | null;
  head_hash: string | null;
  tree_size: string | number | null;
  newest_seq: string | number | null;
  newest_hash: string | null;
}

export async function readHead(manager: EntityManager): Promise<HeadReading> {
  const [row] = await manager.query<HeadSqlRow[]>(READ_HEAD);
  const position = (seq: string | number | null | undefined, hash: string | null | undefined) =>
    seq === null || seq === undefined || !hash ? undefined : { seq: Number(seq), hash };
  const recorded = position(row?.head_seq, row?.head_hash);
  return {
    recorded: recorded && { ...recorded, treeSize: Number(row?.tree_size ?? 0) },
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

/** Rewrites the head row in the integration's transaction: one statement, whatever the batch. */
export async function recordHead(tx: EntityManager, head: RecordedHead): Promise<void> {
  const pg = tx.connection.options.type === 'postgres';
  const [seq, hash, treeSize] = pg ? ['$1', '$2', '$3'] : ['?', '?', '?'];
  await tx.query(
    `INSERT INTO audit_head (id, seq, hash, tree_size) VALUES (1, ${seq}, ${hash}, ${treeSize})
     ON CONFLICT (id) DO UPDATE
     SET seq = excluded.seq, hash = excluded.hash, tree_size = excluded.tree_size`,
    [head.seq, head.hash, head.treeSize],
  );
}
