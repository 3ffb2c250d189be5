import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { PolicySource } from './policy-state.js';

const memo = new WeakMap<PolicySource, string>();

/**
 * What identifies the policy a process enforces, comparable across replicas: the first 16 hex of
 * the SHA-256 of the RFC 8785 canonical JSON of everything a reload swaps (and nothing else of the
 * config, so no secret reaches a metric label).
 */
export function policyHash(source: PolicySource): string {
  const known = memo.get(source);
  if (known) return known;
  const { policy, owners, delegations, aliases, directory } = source;
  const text = canonicalize({ policy, owners, delegations, aliases, directory });
  if (text === undefined) throw new Error('policy is not JSON-serialisable');
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  memo.set(source, hash);
  return hash;
}
