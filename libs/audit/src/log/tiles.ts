import type { Hash, SubtreeStore } from './merkle.js';
import { HASH_SIZE, nodeHash } from './merkle.js';

/**
 * The Merkle tree stored as tiles, as Tessera and Go's sumdb store theirs: tile level L, index N
 * holds the hashes of tree level 8L, nodes [256N, 256N + 256), concatenated. Level 0 holds the
 * leaf hashes; each full tile's root is the next tile level's next entry. Any complete subtree is
 * 2^r consecutive entries of one tile (r < 8), so a proof reads a few tiles per 8 levels, and only
 * the last tile of each level changes as the log grows.
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 2 ** TILE_HEIGHT;

export interface TileId {
  level: number;
  index: number;
}

/** A tile's hashes, each HASH_SIZE bytes, at most TILE_WIDTH of them. */
export interface Tile extends TileId {
  hashes: Hash[];
}

/** Where a complete subtree [start, start + 2^level) lies: its tile and entries [offset, offset + 2^r). */
export function subtreeLocation(
  start: number,
  level: number,
): TileId & { offset: number; width: number } {
  const tileLevel = Math.floor(level / TILE_HEIGHT);
  const entry = start / 2 ** (tileLevel * TILE_HEIGHT);
  return {
    level: tileLevel,
    index: Math.floor(entry / TILE_WIDTH),
    offset: entry % TILE_WIDTH,
    width: 2 ** (level % TILE_HEIGHT),
  };
}

/** MTH of 2^r consecutive entries of a tile. */
export function foldEntries(hashes: readonly Hash[], offset: number, width: number): Hash {
  if (offset + width > hashes.length) {
    throw new Error(`tile holds ${hashes.length} hashes, not [${offset}, ${offset + width})`);
  }
  let level = hashes.slice(offset, offset + width);
  while (level.length > 1) {
    const next: Hash[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
    level = next;
  }
  return level[0];
}

/**
 * The partial tiles at the right edge of a tree of `size` leaves: the only tiles that appending
 * changes, and all that the tree's root needs (every complete subtree of the root's
 * decomposition lies in the last tile of its level).
 */
export function edgeTiles(size: number): Array<TileId & { width: number }> {
  const tiles = [];
  for (let level = 0; ; level++) {
    const entries = Math.floor(size / TILE_WIDTH ** level);
    if (entries === 0) break;
    if (entries % TILE_WIDTH !== 0) {
      tiles.push({ level, index: Math.floor(entries / TILE_WIDTH), width: entries % TILE_WIDTH });
    }
  }
  return tiles;
}

export function packHashes(hashes: readonly Hash[]): Buffer {
  return Buffer.concat(hashes);
}

export function unpackHashes(packed: Uint8Array): Hash[] {
  if (packed.length % HASH_SIZE !== 0 || packed.length > TILE_WIDTH * HASH_SIZE) {
    throw new Error(`a tile of ${packed.length} bytes is not a list of hashes`);
  }
  const hashes: Hash[] = [];
  for (let at = 0; at < packed.length; at += HASH_SIZE) {
    hashes.push(Buffer.from(packed.subarray(at, at + HASH_SIZE)));
  }
  return hashes;
}

const key = (level: number, index: number): string => `${level}/${index}`;

/**
 * Appends leaf hashes to a tree of `size` leaves given its edge tiles, keeping the tiles it
 * changed. Answers subtree hashes from the tiles it holds, which covers the tree's root.
 */
export class TileAppender implements SubtreeStore {
  private readonly tiles = new Map<string, Tile>();
  private readonly changed = new Set<string>();

  constructor(
    private treeSize: number,
    edge: readonly Tile[],
  ) {
    const expected = edgeTiles(treeSize);
    for (const want of expected) {
      const tile = edge.find((t) => t.level === want.level && t.index === want.index);
      if (tile?.hashes.length !== want.width) {
        throw new Error(
          `tile ${key(want.level, want.index)} should hold ${want.width} hashes for a tree of ${treeSize}, holds ${tile?.hashes.length ?? 'none'}`,
        );
      }
      this.tiles.set(key(tile.level, tile.index), { ...tile, hashes: [...tile.hashes] });
    }
  }

  get size(): number {
    return this.treeSize;
  }

  append(leaf: Hash): void {
    let hash = leaf;
    let entries = this.treeSize;
    for (let level = 0; ; level++) {
      const index = Math.floor(entries / TILE_WIDTH);
      const id = key(level, index);
      let tile = this.tiles.get(id);
      if (!tile) {
        tile = { level, index, hashes: [] };
        this.tiles.set(id, tile);
      }
      tile.hashes.push(hash);
      this.changed.add(id);
      if (tile.hashes.length < TILE_WIDTH) break;
      // The tile is full: its root is the next level's next entry.
      hash = foldEntries(tile.hashes, 0, TILE_WIDTH);
      entries = Math.floor(entries / TILE_WIDTH);
    }
    this.treeSize += 1;
  }

  /** The tiles appends changed (full or partial), to write back. */
  changedTiles(): Tile[] {
    return [...this.changed].map((id) => this.tiles.get(id) as Tile);
  }

  subtreeHash(start: number, level: number): Promise<Hash> {
    const at = subtreeLocation(start, level);
    const tile = this.tiles.get(key(at.level, at.index));
    if (!tile) throw new Error(`tile ${key(at.level, at.index)} is not loaded`);
    return Promise.resolve(foldEntries(tile.hashes, at.offset, at.width));
  }
}

/** A SubtreeStore over tiles fetched on demand (from the database), each fetched once. */
export class TileReader implements SubtreeStore {
  private readonly cache = new Map<string, Promise<Hash[]>>();

  constructor(private readonly fetchTile: (level: number, index: number) => Promise<Hash[]>) {}

  async subtreeHash(start: number, level: number): Promise<Hash> {
    const at = subtreeLocation(start, level);
    const id = key(at.level, at.index);
    let hashes = this.cache.get(id);
    if (!hashes) {
      hashes = this.fetchTile(at.level, at.index);
      this.cache.set(id, hashes);
    }
    return foldEntries(await hashes, at.offset, at.width);
  }
}
