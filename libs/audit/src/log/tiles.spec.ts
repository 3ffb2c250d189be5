import { createHash } from 'node:crypto';
import type { Hash } from './merkle.js';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  rootHash,
  storeConsistencyProof,
  storeInclusionProof,
  storeRootHash,
} from './merkle.js';
import { CompactRange } from './compact-range.js';
import type { Tile } from './tiles.js';
import {
  TILE_WIDTH,
  TileAppender,
  TileReader,
  edgeTiles,
  packHashes,
  unpackHashes,
} from './tiles.js';

const leaves = (n: number, from = 0): Hash[] =>
  Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`event ${from + i}`)));

/** Tiles as a database would keep them: written back after each batch, read by id. */
class TileTable {
  readonly rows = new Map<string, Buffer>();

  write(tiles: Tile[]): void {
    for (const tile of tiles) this.rows.set(`${tile.level}/${tile.index}`, packHashes(tile.hashes));
  }

  read(level: number, index: number): Hash[] {
    const row = this.rows.get(`${level}/${index}`);
    if (!row) throw new Error(`no tile ${level}/${index}`);
    return unpackHashes(row);
  }

  edge(size: number): Tile[] {
    return edgeTiles(size).map(({ level, index }) => ({
      level,
      index,
      hashes: this.read(level, index),
    }));
  }

  reader(): TileReader {
    return new TileReader((level, index) => Promise.resolve(this.read(level, index)));
  }
}

/** Appends `all` in batches of the given sizes, each batch from the tiles the last one wrote. */
async function appendInBatches(
  all: Hash[],
  batches: number[],
): Promise<{ table: TileTable; roots: Buffer[] }> {
  const table = new TileTable();
  const roots: Buffer[] = [];
  let size = 0;
  for (const batch of batches) {
    const appender = new TileAppender(size, table.edge(size));
    for (const leaf of all.slice(size, size + batch)) appender.append(leaf);
    size = appender.size;
    table.write(appender.changedTiles());
    roots.push(Buffer.from(await storeRootHash(appender, size)));
  }
  return { table, roots };
}

describe('tiles', () => {
  it('name the partial tile of each level at the right edge', () => {
    expect(edgeTiles(0)).toEqual([]);
    expect(edgeTiles(1)).toEqual([{ level: 0, index: 0, width: 1 }]);
    expect(edgeTiles(256)).toEqual([{ level: 1, index: 0, width: 1 }]);
    expect(edgeTiles(256 * 256 + 257)).toEqual([
      { level: 0, index: 257, width: 1 },
      { level: 1, index: 1, width: 1 },
      { level: 2, index: 0, width: 1 },
    ]);
  });

  it('give the root RFC 9162 gives, for every size up to 600, appended one leaf at a time', async () => {
    const all = leaves(600);
    const appender = new TileAppender(0, []);
    for (let size = 1; size <= all.length; size++) {
      appender.append(all[size - 1]);
      expect(Buffer.from(await storeRootHash(appender, size))).toEqual(
        Buffer.from(rootHash(all.slice(0, size))),
      );
    }
  });

  it('keep the tree across batches of any size, over three tile levels', async () => {
    const all = leaves(TILE_WIDTH ** 2 + 3 * TILE_WIDTH + 5);
    const batches = [1, 2, 255, 1, 256, 1000, 7, TILE_WIDTH ** 2 - 1000, 100];
    batches.push(all.length - batches.reduce((a, b) => a + b, 0));
    const { table, roots } = await appendInBatches(all, batches);
    let size = 0;
    for (const [i, batch] of batches.entries()) {
      size += batch;
      const expected = Buffer.from(rootHash(all.slice(0, size)));
      expect(roots[i]).toEqual(expected);
      // Later batches grew the tiles; the root at an earlier size still reads from them.
      expect(Buffer.from(await storeRootHash(table.reader(), size))).toEqual(expected);
    }
    expect(batches[batches.length - 1]).toBeGreaterThan(0);
    expect(size).toBe(all.length);
  });

  it('answer inclusion and consistency proofs from stored tiles as RFC 9162 computes them', async () => {
    const all = leaves(3 * TILE_WIDTH + 17);
    const { table } = await appendInBatches(all, [100, 500, all.length - 600]);
    const sizes = [1, 2, 3, 4, 5, 8, 9, 255, 256, 257, 511, 512, 513, all.length];
    for (const size of sizes) {
      for (const index of [0, 1, Math.floor(size / 2), size - 1]) {
        if (index >= size) continue;
        const proof = await storeInclusionProof(table.reader(), index, size);
        expect(proof.map((h) => Buffer.from(h))).toEqual(
          inclusionProof(all.slice(0, size), index).map((h) => Buffer.from(h)),
        );
      }
      for (const from of [1, 2, 3, 7, 256, 300]) {
        if (from > size) continue;
        const proof = await storeConsistencyProof(table.reader(), from, size);
        expect(proof.map((h) => Buffer.from(h))).toEqual(
          consistencyProof(all.slice(0, size), from, size).map((h) => Buffer.from(h)),
        );
      }
    }
  });

  it('read each tile once per reader', async () => {
    const all = leaves(2 * TILE_WIDTH);
    const { table } = await appendInBatches(all, [all.length]);
    let reads = 0;
    const reader = new TileReader((level, index) => {
      reads += 1;
      return Promise.resolve(table.read(level, index));
    });
    await storeInclusionProof(reader, 3, all.length);
    await storeInclusionProof(reader, 5, all.length);
    expect(reads).toBe(2); // level 0 tile 0 for the leaf's siblings, level 1 tile 0 above
  });

  it('refuse edge tiles that do not match the size they are given for', async () => {
    const all = leaves(10);
    const { table } = await appendInBatches(all, [10]);
    expect(() => new TileAppender(11, table.edge(10))).toThrow(/should hold 11 hashes/);
    expect(() => new TileAppender(10, [])).toThrow(/holds none/);
  });

  it('refuse a stored tile that is not a list of hashes', () => {
    expect(() => unpackHashes(Buffer.alloc(33))).toThrow(/not a list of hashes/);
    expect(() => unpackHashes(Buffer.alloc(32 * 257))).toThrow(/not a list of hashes/);
    const digest = createHash('sha256').update('x').digest();
    expect(unpackHashes(packHashes([digest, digest]))).toHaveLength(2);
  });
});

describe('CompactRange', () => {
  it('gives the RFC 9162 root at every size up to 300', () => {
    const all = leaves(300);
    const range = new CompactRange();
    expect(Buffer.from(range.root())).toEqual(Buffer.from(rootHash([])));
    for (let size = 1; size <= all.length; size++) {
      range.append(all[size - 1]);
      expect(range.size).toBe(size);
      expect(Buffer.from(range.root())).toEqual(Buffer.from(rootHash(all.slice(0, size))));
    }
  });
});
