import type { Hash } from './merkle.js';
import { EMPTY_ROOT, nodeHash } from './merkle.js';

/**
 * The right edge of a tree grown one leaf at a time: one hash per complete subtree of its
 * decomposition, largest first, so the root at any size is O(log n) away while streaming
 * every leaf once (what verification does, checking roots at every kept checkpoint's size).
 */
export class CompactRange {
  private readonly subtrees: Array<{ level: number; hash: Hash }> = [];
  private leaves = 0;

  get size(): number {
    return this.leaves;
  }

  append(leaf: Hash): void {
    let node = { level: 0, hash: leaf };
    for (;;) {
      const top = this.subtrees[this.subtrees.length - 1];
      if (top?.level !== node.level) break;
      this.subtrees.pop();
      node = { level: node.level + 1, hash: nodeHash(top.hash, node.hash) };
    }
    this.subtrees.push(node);
    this.leaves += 1;
  }

  /** MTH of the leaves appended so far. */
  root(): Hash {
    if (this.subtrees.length === 0) return EMPTY_ROOT;
    return this.subtrees.map((s) => s.hash).reduceRight((right, left) => nodeHash(left, right));
  }
}
