import canonicalize from 'canonicalize';
import type { AuditEvent } from '../audit-event.js';
import type { Hash } from './merkle.js';
import { leafHash } from './merkle.js';

/**
 * The log's leaf for an event: the UTF-8 RFC 8785 canonical JSON of the event exactly as
 * `GET /v1/audit` returns it, `seq`, `prevHash` and `hash` included. Leaf index = seq - 1.
 */
export function eventLeaf(event: AuditEvent): Buffer {
  const canonical = canonicalize(event);
  if (canonical === undefined) throw new Error('audit event is not serialisable');
  return Buffer.from(canonical, 'utf8');
}

export function eventLeafHash(event: AuditEvent): Hash {
  return leafHash(eventLeaf(event));
}
