import type { EntityManager } from 'typeorm';
import type { Tile } from './tiles.js';
import { TileReader, edgeTiles, packHashes, unpackHashes } from './tiles.js';

const isPostgres = (m: EntityManager): boolean => m.connection.options.type === 'postgres';

interface TileSqlRow {
  level: number;
  idx: string | number;
  hashes: Buffer;
}

/** The partial tiles at the edge of a tree of `size` leaves (what TileAppender starts from). */
export async function readEdgeTiles(manager: EntityManager, size: number): Promise<Tile[]> {
  const wanted = edgeTiles(size);
  if (wanted.length === 0) return [];
  const pg = isPostgres(manager);
  const where = wanted
    .map((_, i) =>
      pg ? `(level = $${2 * i + 1} AND idx = $${2 * i + 2})` : '(level = ? AND idx = ?)',
    )
    .join(' OR ');
  const rows = await manager.query<TileSqlRow[]>(
    `SELECT level, idx, hashes FROM audit_tiles WHERE ${where}`,
    wanted.flatMap((t) => [t.level, t.index]),
  );
  return rows.map((row) => ({
    level: Number(row.level),
    index: Number(row.idx),
    hashes: unpackHashes(row.hashes),
  }));
}

/** Writes tiles back: inserted when new, replaced while they grow. */
export async function writeTiles(tx: EntityManager, tiles: readonly Tile[]): Promise<void> {
  if (tiles.length === 0) return;
  if (isPostgres(tx)) {
    await tx.query(
      `INSERT INTO audit_tiles (level, idx, hashes)
       SELECT * FROM unnest($1::integer[], $2::bigint[], $3::bytea[])
       ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes`,
      [
        tiles.map((t) => t.level),
        tiles.map((t) => t.index),
        tiles.map((t) => packHashes(t.hashes)),
      ],
    );
    return;
  }
  for (let i = 0; i < tiles.length; i += 100) {
    const chunk = tiles.slice(i, i + 100);
    await tx.query(
      `INSERT INTO audit_tiles (level, idx, hashes) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}
       ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes`,
      chunk.flatMap((t) => [t.level, t.index, packHashes(t.hashes)]),
    );
  }
}

/** A SubtreeStore over the stored tiles, for proofs at any size up to the tree's. */
export function storedTiles(manager: EntityManager): TileReader {
  const pg = isPostgres(manager);
  return new TileReader(async (level, index) => {
    const [row] = await manager.query<TileSqlRow[]>(
      `SELECT level, idx, hashes FROM audit_tiles WHERE level = ${pg ? '$1' : '?'} AND idx = ${pg ? '$2' : '?'}`,
      [level, index],
    );
    if (!row) throw new Error(`the audit log's tree has no tile ${level}/${index}`);
    return unpackHashes(row.hashes);
  });
}
