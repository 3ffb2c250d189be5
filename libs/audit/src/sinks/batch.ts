import canonicalize from 'canonicalize';
import type { AuditEvent } from '../audit-event.js';
import { eventLeaf } from '../log/leaf.js';

/** A signed checkpoint as the sinks send it: `note` is the C2SP note of `GET /v1/audit/checkpoint`. */
export interface SinkCheckpoint {
  size: number;
  /** The tree's root hash at `size`, base64. */
  rootHash: string;
  issuedAt: string;
  note: string;
}

/**
 * What a sink is handed at once: integrated events in seq order with no gap, and the checkpoints
 * of sizes up to the last of them (or up to what the sink already has), in size order.
 */
export interface SinkBatch {
  events: AuditEvent[];
  checkpoints: SinkCheckpoint[];
}

export type SinkRecord =
  { kind: 'event'; event: AuditEvent } | { kind: 'checkpoint'; checkpoint: SinkCheckpoint };

/**
 * The batch as one stream: each checkpoint right after the event its size ends on (first, when
 * it covers only events sent before), so a reader has every event a checkpoint covers before it.
 */
export function inStreamOrder(batch: SinkBatch): SinkRecord[] {
  const records: SinkRecord[] = [];
  let next = 0;
  const checkpointsUpTo = (size: number) => {
    while (next < batch.checkpoints.length && batch.checkpoints[next].size <= size) {
      records.push({ kind: 'checkpoint', checkpoint: batch.checkpoints[next] });
      next += 1;
    }
  };
  checkpointsUpTo((batch.events[0]?.seq ?? Number.MAX_SAFE_INTEGER) - 1);
  for (const event of batch.events) {
    records.push({ kind: 'event', event });
    checkpointsUpTo(event.seq);
  }
  checkpointsUpTo(Number.MAX_SAFE_INTEGER);
  return records;
}

/** An event as its log leaf: RFC 8785 JSON, so a line hashes to the event's Merkle leaf. */
export function eventJson(event: AuditEvent): string {
  return eventLeaf(event).toString('utf8');
}

/** A checkpoint as RFC 8785 JSON under one `checkpoint` key, never mistaken for an event. */
export function checkpointJson(checkpoint: SinkCheckpoint): string {
  const canonical = canonicalize({ checkpoint });
  if (canonical === undefined) throw new Error('checkpoint is not serialisable');
  return canonical;
}

export function recordJson(record: SinkRecord): string {
  return record.kind === 'event' ? eventJson(record.event) : checkpointJson(record.checkpoint);
}
