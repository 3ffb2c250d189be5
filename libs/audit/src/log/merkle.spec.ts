import { createHash } from 'node:crypto';
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  MemoryTree,
  rootHash,
  storeConsistencyProof,
  storeInclusionProof,
  storeRootHash,
  verifyConsistency,
  verifyInclusion,
  type Hash,
  type SubtreeStore,
} from './merkle.js';

// An independent reference: the recursive definitions of RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1
// over arrays, as written in the RFC, and verifiers that rebuild both sides along the same
// recursion (the module walks ranges and verifies with the RFC's iterative algorithms instead).
const sha = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  parts.forEach((p) => h.update(p));
  return h.digest();
};
const refLeaf = (d: Uint8Array) => sha(Buffer.from([0]), d);
const refNode = (l: Uint8Array, r: Uint8Array) => sha(Buffer.from([1]), l, r);
const kBelow = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1);

// Memoized by (first leaf, length) only to keep the exhaustive tests quick; the leaves are distinct.
const mthMemo = new Map<Buffer, Map<number, Buffer>>();
function refMth(hs: Buffer[]): Buffer {
  if (hs.length === 0) return sha();
  if (hs.length === 1) return hs[0];
  const byLength = mthMemo.get(hs[0]) ?? new Map<number, Buffer>();
  mthMemo.set(hs[0], byLength);
  const k = kBelow(hs.length);
  const mth = byLength.get(hs.length) ?? refNode(refMth(hs.slice(0, k)), refMth(hs.slice(k)));
  byLength.set(hs.length, mth);
  return mth;
}

function refPath(m: number, hs: Buffer[]): Buffer[] {
  if (hs.length === 1) return [];
  const k = kBelow(hs.length);
  return m < k
    ? [...refPath(m, hs.slice(0, k)), refMth(hs.slice(k))]
    : [...refPath(m - k, hs.slice(k)), refMth(hs.slice(0, k))];
}

function refSubproof(m: number, hs: Buffer[], b: boolean): Buffer[] {
  if (m === hs.length) return b ? [] : [refMth(hs)];
  const k = kBelow(hs.length);
  return m <= k
    ? [...refSubproof(m, hs.slice(0, k), b), refMth(hs.slice(k))]
    : [...refSubproof(m - k, hs.slice(k), false), refMth(hs.slice(0, k))];
}

/** The root PATH(index, D[size]) leads to, or null when the proof's shape is wrong. */
function refRootFromPath(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: Uint8Array[],
): Uint8Array | null {
  if (size === 1) return proof.length === 0 ? leaf : null;
  const last = proof[proof.length - 1];
  if (last === undefined) return null;
  const k = kBelow(size);
  const rest = proof.slice(0, -1);
  if (index < k) {
    const left = refRootFromPath(index, k, leaf, rest);
    return left && refNode(left, last);
  }
  const right = refRootFromPath(index - k, size - k, leaf, rest);
  return right && refNode(last, right);
}

/** [old root, new root] that SUBPROOF(m, D[n], b) leads to, or null when its shape is wrong. */
function refRootsFromSubproof(
  m: number,
  n: number,
  proof: Uint8Array[],
  b: boolean,
  old: Uint8Array,
): [Uint8Array, Uint8Array] | null {
  if (m === n) {
    if (b) return proof.length === 0 ? [old, old] : null;
    return proof.length === 1 ? [proof[0], proof[0]] : null;
  }
  const last = proof[proof.length - 1];
  if (last === undefined) return null;
  const k = kBelow(n);
  if (m <= k) {
    const sub = refRootsFromSubproof(m, k, proof.slice(0, -1), b, old);
    return sub && [sub[0], refNode(sub[1], last)];
  }
  const sub = refRootsFromSubproof(m - k, n - k, proof.slice(0, -1), false, old);
  return sub && [refNode(last, sub[0]), refNode(last, sub[1])];
}

const hex = (h: Uint8Array) => Buffer.from(h).toString('hex');
const hexes = (hs: Uint8Array[]) => hs.map(hex);
const same = (a: Uint8Array[], b: Uint8Array[]) =>
  a.length === b.length && a.every((h, i) => Buffer.from(h).equals(b[i]));
const fromHex = (s: string) => Buffer.from(s, 'hex');
const flipped = (proof: Hash[], i: number) =>
  proof.map((p, j) => (j === i ? Buffer.from(p).map((x, at) => (at === 0 ? x ^ 16 : x)) : p));

const MAX = 70;
const leaves = Array.from({ length: MAX }, (_, i) => refLeaf(Buffer.from(`event ${i}`)));

// RFC 6962 test vectors used by Certificate Transparency and Trillian, as kept by
// transparency-dev/merkle proof/verify_test.go (roots from the certificate-transparency C++
// merkle_tree_test.cc); leaf numbers there are 1-based. Proof hashes are named by their first
// hex digits; some proof hashes are roots of smaller trees.
const KAT_INPUTS = [
  ...['', '00', '10', '2021', '3031', '40414243', '5051525354555657'],
  '606162636465666768696a6b6c6d6e6f',
];
const KAT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const [H96a2, H5f08, H6b47] = [
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
  '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
];
const [Hbc1a, Hca85, H0ebc] = [
  'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
];
const [Hd37e, Hfac5, H6e34] = [KAT_ROOTS[3], KAT_ROOTS[1], KAT_ROOTS[0]];
const Hb086 = 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f';
const KAT_INCLUSION: Array<[leaf: number, size: number, proof: string[]]> = [
  [1, 1, []],
  [1, 8, [H96a2, H5f08, H6b47]],
  [6, 8, [Hbc1a, Hca85, Hd37e]],
  [3, 3, [Hfac5]],
  [2, 5, [H6e34, H5f08, Hbc1a]],
];
const KAT_CONSISTENCY: Array<[m: number, n: number, proof: string[]]> = [
  [1, 1, []],
  [1, 8, [H96a2, H5f08, H6b47]],
  [6, 8, [H0ebc, Hca85, Hd37e]],
  [2, 5, [H5f08, Hbc1a]],
  [6, 7, [H0ebc, Hb086, Hd37e]],
];

describe('Merkle tree (RFC 9162 §2.1)', () => {
  const katLeaves = KAT_INPUTS.map((d) => leafHash(fromHex(d)));

  it('matches the known-answer vectors: empty root, roots of sizes 1..8, proofs', () => {
    expect(hex(EMPTY_ROOT)).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(hex(rootHash([]))).toBe(hex(EMPTY_ROOT));
    expect(KAT_ROOTS.map((_, i) => hex(rootHash(katLeaves.slice(0, i + 1))))).toEqual(KAT_ROOTS);
    for (const [leaf, size, proof] of KAT_INCLUSION) {
      const tree = katLeaves.slice(0, size);
      expect(hexes(inclusionProof(tree, leaf - 1))).toEqual(proof);
      const root = fromHex(KAT_ROOTS[size - 1]);
      expect(verifyInclusion(katLeaves[leaf - 1], leaf - 1, size, proof.map(fromHex), root)).toBe(
        true,
      );
    }
    for (const [m, n, proof] of KAT_CONSISTENCY) {
      expect(hexes(consistencyProof(katLeaves, m, n))).toEqual(proof);
      const [oldRoot, newRoot] = [fromHex(KAT_ROOTS[m - 1]), fromHex(KAT_ROOTS[n - 1])];
      expect(verifyConsistency(m, n, proof.map(fromHex), oldRoot, newRoot)).toBe(true);
    }
  });

  it(`agrees with the reference for every size 1..${MAX}, every index and every m ≤ n`, async () => {
    // Mismatches are collected rather than asserted one by one: 5000 proofs, each named if wrong.
    const wrong: string[] = [];
    const check = (ok: boolean, what: string) => ok || wrong.push(what);
    let [inclusions, consistencies] = [0, 0];
    for (let n = 1; n <= MAX; n++) {
      const tree = leaves.slice(0, n);
      const store = new MemoryTree(tree);
      const root = refMth(tree);
      check(same([rootHash(tree), await storeRootHash(store, n)], [root, root]), `root ${n}`);
      for (let i = 0; i < n; i++, inclusions++) {
        const proof = inclusionProof(tree, i);
        check(same(proof, refPath(i, tree)), `PATH(${i}, ${n})`);
        check(same(await storeInclusionProof(store, i, n), proof), `stored PATH(${i}, ${n})`);
        check(
          same([refRootFromPath(i, n, tree[i], proof) ?? EMPTY_ROOT], [root]),
          `ref verify ${i}, ${n}`,
        );
        check(verifyInclusion(tree[i], i, n, proof, root), `verifyInclusion(${i}, ${n})`);
      }
      for (let m = 0; m <= n; m++, consistencies++) {
        const oldRoot = refMth(tree.slice(0, m));
        const proof = consistencyProof(leaves, m, n);
        check(same(proof, m === 0 ? [] : refSubproof(m, tree, true)), `PROOF(${m}, ${n})`);
        check(same(await storeConsistencyProof(store, m, n), proof), `stored PROOF(${m}, ${n})`);
        const refRoots =
          m === 0 ? [oldRoot, root] : refRootsFromSubproof(m, n, proof, true, oldRoot);
        check(same(refRoots ?? [], [oldRoot, root]), `ref verify ${m}, ${n}`);
        check(verifyConsistency(m, n, proof, oldRoot, root), `verifyConsistency(${m}, ${n})`);
      }
    }
    expect(wrong).toEqual([]);
    expect([inclusions, consistencies]).toEqual([2485, 2555]);
  });

  it('refuses inclusion proofs with a flipped bit, a wrong index, leaf or root, or a wrong length', async () => {
    let refused = 0;
    const accepted: string[] = [];
    const otherLeaf = refLeaf(Buffer.from('not in the tree'));
    type Probe = [leaf: Hash, index: number, proof: Hash[], root: Hash];
    for (let n = 1; n <= MAX; n++) {
      const tree = leaves.slice(0, n);
      const root = refMth(tree);
      const store = new MemoryTree(tree);
      for (let i = 0; i < n; i++) {
        const proof = await storeInclusionProof(store, i, n);
        const bad: Probe[] = [
          ...proof.map((_, j): Probe => [tree[i], i, flipped(proof, j), root]),
          ...[i - 1, i + 1, i ^ 2, n].map((j): Probe => [tree[i], j, proof, root]),
          [otherLeaf, i, proof, root],
          [tree[i], i, proof, EMPTY_ROOT],
          [tree[i], i, [...proof, root], root],
          [tree[i], i, [root, ...proof], root],
        ];
        if (proof.length > 0) bad.push([tree[i], i, proof.slice(0, -1), root]);
        bad.forEach(([leaf, index, p, r], probe) => {
          if (verifyInclusion(leaf, index, n, p, r))
            accepted.push(`size ${n} index ${i} probe ${probe}`);
        });
        refused += bad.length;
      }
    }
    expect(accepted).toEqual([]);
    expect(refused).toBe(36_493);
  });

  it('refuses consistency proofs with a flipped bit, wrong sizes, swapped roots or a wrong length', async () => {
    let refused = 0;
    const accepted: string[] = [];
    for (let n = 1; n <= MAX; n++) {
      const tree = leaves.slice(0, n);
      const root = refMth(tree);
      const store = new MemoryTree(tree);
      for (let m = 1; m < n; m++) {
        const oldRoot = refMth(tree.slice(0, m));
        const proof = await storeConsistencyProof(store, m, n);
        const bad: Array<[number, number, Hash[], Hash, Hash]> = [
          ...proof.map((_, j): [number, number, Hash[], Hash, Hash] => [
            m,
            n,
            flipped(proof, j),
            oldRoot,
            root,
          ]),
          [m - 1, n, proof, oldRoot, root],
          [m + 1, n, proof, oldRoot, root],
          [n + 1, n, proof, oldRoot, root],
          [m, n, proof, root, oldRoot],
          [m, n, proof.slice(0, -1), oldRoot, root],
          [m, n, [...proof, root], oldRoot, root],
          [m, n, [oldRoot, ...proof], oldRoot, root],
          [m, n, [], oldRoot, root],
        ];
        bad.forEach((args, probe) => {
          if (verifyConsistency(...args)) accepted.push(`m ${m} n ${n} probe ${probe}`);
        });
        refused += bad.length;
      }
    }
    expect(accepted).toEqual([]);
    expect(refused).toBe(33_086);
  });

  it('bounds its inputs: provers throw, verifiers answer false', async () => {
    const tree = leaves.slice(0, 5);
    expect(() => inclusionProof(tree, 5)).toThrow('index 5 is not below the tree size 5');
    expect(() => inclusionProof([], 0)).toThrow('not below the tree size 0');
    for (const bad of [-1, 1.5, NaN, 2 ** 53])
      expect(() => inclusionProof(tree, bad)).toThrow(/index/);
    expect(() => consistencyProof(tree, 4, 6)).toThrow('n must be an integer from 0 to 5, got 6');
    expect(() => consistencyProof(tree, 5, 4)).toThrow('m 5 is beyond n 4');
    expect(() => new MemoryTree([Buffer.alloc(31)])).toThrow('leaf hash must be 32 bytes');
    await expect(storeRootHash(new MemoryTree(tree), 6)).rejects.toThrow(
      'no complete subtree [4, 6)',
    );
    await expect(storeInclusionProof(new MemoryTree(tree), 2, 1)).rejects.toThrow('not below');
    const root = rootHash(tree);
    expect(
      verifyInclusion(tree[0], 0, 5, [Buffer.alloc(3), ...inclusionProof(tree, 0).slice(1)], root),
    ).toBe(false);
    expect(verifyInclusion(tree[0], 0, 0, [], root)).toBe(false);
    expect(verifyInclusion(tree[0], 0, NaN, [], root)).toBe(false);
    expect(verifyConsistency(0, 5, [], EMPTY_ROOT, root)).toBe(true);
    expect(verifyConsistency(0, 5, [], root, root)).toBe(false);
    expect(verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)).toBe(true);
    expect(verifyConsistency(5, 5, [], root, root)).toBe(true);
    expect(verifyConsistency(5, 5, [root], root, root)).toBe(false);
    expect(verifyConsistency(5, 5, [], root, EMPTY_ROOT)).toBe(false);
    expect(verifyConsistency(6, 5, [], root, root)).toBe(false);
  });

  it('asks a store only for O(log n) complete subtrees, so it never needs all leaves', async () => {
    const asked: Array<[number, number]> = [];
    const store: SubtreeStore = {
      subtreeHash: (start, level) => {
        asked.push([start, level]);
        return Promise.resolve(sha(Buffer.from(`${start}/${level}`)));
      },
    };
    for (const size of [2 ** 40 + 12_345, Number.MAX_SAFE_INTEGER]) {
      asked.length = 0;
      await storeRootHash(store, size);
      await storeInclusionProof(store, size - 2, size);
      await storeConsistencyProof(store, 2 ** 33 + 1, size);
      expect(asked.length).toBeLessThan(3 * 2 * 54);
      const wrong = asked.filter(
        ([start, level]) => start % 2 ** level || start + 2 ** level > size,
      );
      expect(wrong).toEqual([]);
    }
    asked.length = 0;
    await storeRootHash(store, Number.MAX_SAFE_INTEGER);
    expect(asked.map(([, level]) => level)).toEqual(Array.from({ length: 53 }, (_, i) => 52 - i));
  });
});
