import { hash } from 'node:crypto';

/**
 * The Merkle tree of RFC 9162 §2.1 (SHA-256), as pure functions.
 *
 * Every hash a proof or a root needs is the Merkle Tree Hash (MTH) of a node [start, end) of the
 * tree, and every such node is a run of *complete* subtrees [s, s + 2^level) of decreasing size.
 * So provers first compute which nodes a proof names (sizes only, no hashing), then ask a
 * {@link SubtreeStore} for the complete subtrees: an in-memory {@link MemoryTree} here, a table of
 * stored subtree hashes later, without all leaves in memory. The array-taking functions
 * (`rootHash`, `inclusionProof`, `consistencyProof`) are the synchronous in-memory shorthand.
 *
 * Provers throw on bad arguments (they answer about our own tree); verifiers return false on
 * anything wrong, arguments included, because what they check came from someone else.
 */

/** A SHA-256 hash: 32 bytes. */
export type Hash = Uint8Array;

export const HASH_SIZE = 32;

/** MTH({}) of RFC 9162 §2.1.1: SHA-256 of the empty string. */
export const EMPTY_ROOT: Hash = sha256();

/** MTH({d}) = SHA-256(0x00 ‖ d): the 0x00/0x01 prefixes keep a leaf from passing for a node. */
export function leafHash(leaf: Uint8Array): Hash {
  return sha256(Buffer.of(0x00), leaf);
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  return sha256(Buffer.of(0x01), left, right);
}

/** Hashes of complete subtrees, as a store (in memory, or a database table) keeps them. */
export interface SubtreeStore {
  /** MTH of the leaves [start, start + 2^level); start is a multiple of 2^level, all present. */
  subtreeHash(start: number, level: number): Promise<Hash>;
}

/** Appends leaf hashes and keeps every complete subtree's hash: level l, index i = [i·2^l, (i+1)·2^l). */
export class MemoryTree implements SubtreeStore {
  private readonly levels: Hash[][] = [[]];

  constructor(leafHashes: readonly Hash[] = []) {
    for (const leaf of leafHashes) this.append(leaf);
  }

  get size(): number {
    return this.levels[0].length;
  }

  append(leaf: Hash): void {
    checkHash(leaf, 'leaf hash');
    this.levels[0].push(leaf);
    // Each time a level gains an even count, its last pair completes one node above.
    for (let l = 0; this.levels[l].length % 2 === 0; l++) {
      const nodes = this.levels[l];
      (this.levels[l + 1] ??= []).push(nodeHash(nodes[nodes.length - 2], nodes[nodes.length - 1]));
    }
  }

  subtreeHashSync(start: number, level: number): Hash {
    const hash = this.levels[level]?.[start / 2 ** level];
    if (hash === undefined || start % 2 ** level !== 0) {
      throw new Error(
        `no complete subtree [${start}, ${start + 2 ** level}) in a tree of ${this.size}`,
      );
    }
    return hash;
  }

  subtreeHash(start: number, level: number): Promise<Hash> {
    return Promise.resolve(this.subtreeHashSync(start, level));
  }
}

/** A node [start, end) of the tree. */
interface Range {
  start: number;
  end: number;
}

/** MTH(D[0:n]) (RFC 9162 §2.1.1) for n ≥ 0. */
export function rootHash(leafHashes: readonly Hash[]): Hash {
  const tree = new MemoryTree(leafHashes);
  return leafHashes.length === 0 ? EMPTY_ROOT : hashRangeSync(tree, { start: 0, end: tree.size });
}

/** PATH(index, D[0:n]) (RFC 9162 §2.1.3.1): sibling hashes from the leaf up. */
export function inclusionProof(leafHashes: readonly Hash[], index: number): Hash[] {
  const tree = new MemoryTree(leafHashes);
  return inclusionRanges(index, tree.size).map((range) => hashRangeSync(tree, range));
}

/** PROOF(m, D[0:n]) (RFC 9162 §2.1.4.1); empty when m is 0 or n. */
export function consistencyProof(leafHashes: readonly Hash[], m: number, n: number): Hash[] {
  const tree = new MemoryTree(leafHashes.slice(0, checkSize(n, 'n', leafHashes.length)));
  return consistencyRanges(m, n).map((range) => hashRangeSync(tree, range));
}

/** MTH of the first `size` leaves of a store. */
export async function storeRootHash(store: SubtreeStore, size: number): Promise<Hash> {
  checkSize(size, 'size');
  return size === 0 ? EMPTY_ROOT : hashRange(store, { start: 0, end: size });
}

/** PATH(index, D[0:size]) from a store's subtree hashes. */
export async function storeInclusionProof(
  store: SubtreeStore,
  index: number,
  size: number,
): Promise<Hash[]> {
  return Promise.all(inclusionRanges(index, size).map((range) => hashRange(store, range)));
}

/** PROOF(m, D[0:n]) from a store's subtree hashes. */
export async function storeConsistencyProof(
  store: SubtreeStore,
  m: number,
  n: number,
): Promise<Hash[]> {
  return Promise.all(consistencyRanges(m, n).map((range) => hashRange(store, range)));
}

/**
 * RFC 9162 §2.1.3.2: whether `proof` proves the leaf `index` of a tree of `size` leaves with
 * `root`. fn and sn walk the leaf's and the last leaf's positions up the tree; where the tree's
 * right edge has no sibling at a level, both skip that level.
 */
export function verifyInclusion(
  leaf: Hash,
  index: number,
  size: number,
  proof: readonly Hash[],
  root: Hash,
): boolean {
  if (!isCount(index) || !isCount(size) || index >= size) return false;
  if (![leaf, root, ...proof].every(isHash)) return false;
  let [fn, sn, r] = [index, size - 1, leaf];
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      r = nodeHash(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return sn === 0 && equal(r, root);
}

/**
 * RFC 9162 §2.1.4.2: whether `proof` proves the tree of `m` leaves with `oldRoot` a prefix of the
 * tree of `n` leaves with `newRoot`. One walk rebuilds both roots: fr from the nodes left of the
 * old edge only, sr from all of them.
 */
export function verifyConsistency(
  m: number,
  n: number,
  proof: readonly Hash[],
  oldRoot: Hash,
  newRoot: Hash,
): boolean {
  if (!isCount(m) || !isCount(n) || m > n) return false;
  if (![oldRoot, newRoot, ...proof].every(isHash)) return false;
  if (m === 0 || m === n) {
    // Nothing to prove: the empty tree is a prefix of any tree, and a tree is a prefix of itself.
    return (
      proof.length === 0 &&
      (m > 0 || equal(oldRoot, EMPTY_ROOT)) &&
      (m < n || equal(oldRoot, newRoot))
    );
  }
  // When m is a power of two the old root is a node of the new tree, so the proof omits it.
  const path = isPowerOfTwo(m) ? [oldRoot, ...proof] : proof;
  if (path.length === 0) return false;
  let [fn, sn] = [m - 1, n - 1];
  while (isOdd(fn)) [fn, sn] = [half(fn), half(sn)];
  let [fr, sr] = [path[0], path[0]];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      [fr, sr] = [nodeHash(c, fr), nodeHash(c, sr)];
      while (!isOdd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      sr = nodeHash(sr, c);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return sn === 0 && equal(fr, oldRoot) && equal(sr, newRoot);
}

/**
 * The nodes PATH(index, D[0:size]) names, from the leaf up: walking down from the root, the
 * sibling of the half that holds the leaf, then reversed.
 */
function inclusionRanges(index: number, size: number): Range[] {
  checkSize(size, 'size');
  checkSize(index, 'index');
  if (index >= size) throw new Error(`index ${index} is not below the tree size ${size}`);
  const path: Range[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const mid = start + largestPowerOfTwoBelow(end - start);
    if (index < mid) {
      path.push({ start: mid, end });
      end = mid;
    } else {
      path.push({ start, end: mid });
      start = mid;
    }
  }
  return path.reverse();
}

/**
 * The nodes PROOF(m, D[0:n]) names: SUBPROOF(m, D[start:end], b) unrolled. Walking down, the
 * sibling of the half that holds the old tree's edge, until the node is the old tree's last
 * complete subtree, which is included unless it is the old root itself (b still true).
 */
function consistencyRanges(m: number, n: number): Range[] {
  checkSize(n, 'n');
  checkSize(m, 'm');
  if (m > n) throw new Error(`m ${m} is beyond n ${n}`);
  if (m === 0 || m === n) return [];
  const proof: Range[] = [];
  let start = 0;
  let end = n;
  let isOldRoot = true;
  while (m !== end) {
    const mid = start + largestPowerOfTwoBelow(end - start);
    if (m <= mid) {
      proof.push({ start: mid, end });
      end = mid;
    } else {
      proof.push({ start, end: mid });
      start = mid;
      isOldRoot = false;
    }
  }
  if (!isOldRoot) proof.push({ start, end });
  return proof.reverse();
}

/**
 * A node [start, end) is complete subtrees of sizes the set bits of end - start, largest first
 * (start is aligned to the largest); MTH splits off the largest power of two first, so their
 * hash is a right fold: H(a, H(b, c)).
 */
function subtreesOf({ start, end }: Range): Array<{ start: number; level: number }> {
  const subtrees = [];
  let level = 0; // not Math.log2: it rounds 2^50 - 1 up to 50
  while (2 ** (level + 1) <= end - start) level++;
  for (let at = start; at < end; level--) {
    if (at + 2 ** level <= end) {
      subtrees.push({ start: at, level });
      at += 2 ** level;
    }
  }
  return subtrees;
}

function foldRight(hashes: Hash[]): Hash {
  return hashes.reduceRight((right, left) => nodeHash(left, right));
}

function hashRangeSync(tree: MemoryTree, range: Range): Hash {
  return foldRight(subtreesOf(range).map((s) => tree.subtreeHashSync(s.start, s.level)));
}

async function hashRange(store: SubtreeStore, range: Range): Promise<Hash> {
  const hashes = await Promise.all(
    subtreesOf(range).map((s) => store.subtreeHash(s.start, s.level)),
  );
  hashes.forEach((hash) => checkHash(hash, 'stored subtree hash'));
  return foldRight(hashes);
}

/** The k of RFC 9162: the largest power of two strictly below n (n ≥ 2). */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkSize(value: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!isCount(value) || value > max) {
    throw new Error(`${name} must be an integer from 0 to ${max}, got ${value}`);
  }
  return value;
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function isHash(value: Hash): boolean {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

function checkHash(hash: Hash, name: string): void {
  if (!isHash(hash)) throw new Error(`${name} must be ${HASH_SIZE} bytes`);
}

// Indices reach 2^53, beyond the 32 bits of JavaScript's bitwise operators: arithmetic instead.
function isOdd(x: number): boolean {
  return x % 2 === 1;
}

function half(x: number): number {
  return Math.floor(x / 2);
}

function isPowerOfTwo(x: number): boolean {
  while (x > 1 && !isOdd(x)) x = half(x);
  return x === 1;
}

const equal = (a: Hash, b: Hash): boolean => Buffer.compare(a, b) === 0;

// One-shot hashing of the parts joined: about half the cost of createHash().update().digest()
// for inputs this small, and the integrator hashes two or three of them per event.
function sha256(...parts: Uint8Array[]): Hash {
  return hash('sha256', parts.length === 1 ? parts[0] : Buffer.concat(parts), 'buffer');
}
