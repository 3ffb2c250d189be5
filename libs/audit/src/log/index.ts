/**
 * The audit log's pure pieces, for whoever checks the log without its database (the CLI's
 * offline verify, evidence bundles): the chain's event hash, RFC 9162 Merkle verifiers, C2SP
 * signed notes and checkpoints, the event leaf. Nothing here reaches TypeORM or Nest: keep it so.
 */
export type { AuditEvent } from '../audit-event.js';
export { GENESIS_HASH, hashEvent } from '../audit-event.js';
export * from './checkpoint.js';
export { CompactRange } from './compact-range.js';
export { eventLeaf, eventLeafHash } from './leaf.js';
export * from './merkle.js';
export * from './note.js';
