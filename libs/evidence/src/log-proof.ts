import type { AuditEvent } from '#audit-log';
import { eventLeafHash, verifyInclusion } from '#audit-log';
import type { EvidenceBundle, EvidenceLogProof } from './bundle.js';
import type { SignedTree } from './log-verify.js';
import { LogCheckFailure, decodeHashes, logVerifiers, openLogCheckpoint } from './log-verify.js';

export interface LogProofOutcome {
  ok: boolean;
  detail: string;
}

/**
 * Whether every audit event of the bundle is a leaf of the log's tree under a checkpoint signed
 * by the log key: the key given (`pinnedKey`, obtained apart from the broker) when there is one,
 * else the bundle's own, which then proves no more than the seal does. The checkpoint must cover
 * the chain head, and each event's leaf (its canonical JSON) must be included at index seq - 1.
 * A bundle from before the log has no proof to check, and says so.
 */
export function checkLogProof(bundle: EvidenceBundle, pinnedKey?: string): LogProofOutcome {
  const { log } = bundle;
  if (!log) return { ok: true, detail: 'no log proof (a bundle made before the transparency log)' };
  const fail = (detail: string): LogProofOutcome => ({ ok: false, detail });
  const opened = openBundleCheckpoint(log, pinnedKey);
  if ('problem' in opened) return fail(opened.problem);
  const { tree } = opened;
  if (tree.size < bundle.chainHead.seq) {
    return fail(
      `the checkpoint (size ${tree.size}) does not cover the chain head (seq ${bundle.chainHead.seq})`,
    );
  }
  const { auditEvents } = bundle;
  const { inclusion } = log;
  if (
    inclusion.length !== auditEvents.length ||
    inclusion.some((proof, i) => proof.seq !== auditEvents[i].seq)
  ) {
    return fail('one inclusion proof per audit event, in their order, is required');
  }
  const excluded = auditEvents.filter((event, i) => !includedIn(tree, event, inclusion[i].proof));
  if (excluded.length > 0) {
    const seqs = excluded.map((event) => event.seq).join(', ');
    return fail(`not in the log under its signed checkpoint (size ${tree.size}): event ${seqs}`);
  }
  const whose = pinnedKey === undefined ? "the bundle's own log key" : 'the given log key';
  return {
    ok: true,
    detail: `${auditEvents.length} audit events in the log under a checkpoint of size ${tree.size}, signed by ${whose}`,
  };
}

/**
 * The tree the bundle's checkpoint signed, opened with the key given (`pinnedKey`) or else the
 * bundle's own; a given key must be the bundle's.
 */
export function openBundleCheckpoint(
  log: EvidenceLogProof,
  pinnedKey?: string,
): { tree: SignedTree } | { problem: string } {
  const pinned = pinnedKey?.trim();
  if (pinned !== undefined && pinned !== log.key.trim()) {
    return { problem: 'the log key in the bundle is not the one given' };
  }
  try {
    return { tree: openLogCheckpoint(log.checkpoint, logVerifiers(pinned ?? log.key)) };
  } catch (error) {
    if (error instanceof LogCheckFailure) return { problem: error.message };
    throw error;
  }
}

/** Whether `event` is leaf seq - 1 of the signed tree, by its RFC 9162 inclusion proof (base64). */
export function includedIn(tree: SignedTree, event: AuditEvent, proof: readonly string[]): boolean {
  const [root] = decodeHashes([tree.rootHash]) ?? [];
  const hashes = decodeHashes(proof);
  return (
    root !== undefined &&
    hashes !== undefined &&
    verifyInclusion(eventLeafHash(event), event.seq - 1, tree.size, hashes, root)
  );
}
