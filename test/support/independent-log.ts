import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * RFC 9162 §2.1 written straight from the RFC's recursive definitions, sharing no code with
 * libs/audit: what the tests check the broker's roots and proofs against.
 */
const sha256 = (...parts: Buffer[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** The largest power of two smaller than n (n > 1). */
const split = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

/** The leaf of an audit event: its RFC 8785 canonical JSON as GET /v1/audit returned it. */
export const eventLeaf = (event: object): Buffer => Buffer.from(canonicalize(event) ?? '', 'utf8');

/** MTH(D[n]). */
export function merkleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return sha256(Buffer.of(0), leaves[0]);
  const k = split(leaves.length);
  return sha256(Buffer.of(1), merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)));
}

/** PATH(m, D[n]). */
export function auditPath(m: number, leaves: readonly Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...auditPath(m, leaves.slice(0, k)), merkleRoot(leaves.slice(k))]
    : [...auditPath(m - k, leaves.slice(k)), merkleRoot(leaves.slice(0, k))];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true). */
export function consistency(m: number, leaves: readonly Buffer[]): Buffer[] {
  const subproof = (m: number, d: readonly Buffer[], b: boolean): Buffer[] => {
    if (m === d.length) return b ? [] : [merkleRoot(d)];
    const k = split(d.length);
    return m <= k
      ? [...subproof(m, d.slice(0, k), b), merkleRoot(d.slice(k))]
      : [...subproof(m - k, d.slice(k), false), merkleRoot(d.slice(0, k))];
  };
  return m === 0 || m === leaves.length ? [] : subproof(m, leaves, true);
}

export const b64 = (hash: Buffer): string => hash.toString('base64');
