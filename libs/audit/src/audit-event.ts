import { hash } from 'node:crypto';
import canonicalize from 'canonicalize';

export type AuditEventType =
  | 'request.created'
  | 'policy.evaluated'
  | 'approval.recorded'
  | 'approval.refused'
  | 'request.approved'
  | 'request.denied'
  | 'request.cancelled'
  | 'request.expired'
  | 'request.escalated'
  | 'request.refused'
  | 'credential.issued'
  | 'credential.refused'
  | 'grant.revoked'
  | 'grant.expired'
  | 'grant.revocation_failed'
  | 'grant.extended'
  | 'grant.refused'
  | 'break_glass.activated'
  | 'break_glass.escalated'
  | 'break_glass.reviewed'
  | 'review.refused'
  | 'policy.changed'
  | 'policy.refused'
  | 'audit.refused'
  | 'key.created'
  | 'key.encrypted'
  | 'key.rotated'
  | 'key.refused'
  | 'service_account.created'
  | 'service_account.rotated'
  | 'service_account.disabled'
  | 'service_account.refused'
  | 'passkey.registered'
  | 'passkey.renamed'
  | 'passkey.removed'
  | 'passkey.revoked'
  | 'passkey.refused';

export interface AuditEventInput {
  type: AuditEventType;
  actor: string;
  requestId?: string;
  grantId?: string;
  data?: Record<string, unknown>;
}

/** An event as docs/api.md §5 shows it. */
export interface AuditEvent {
  seq: number;
  id: string;
  at: string;
  type: string;
  actor: string;
  requestId?: string;
  grantId?: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** `hash = sha256(prevHash + JCS(event without prevHash and hash))`, JCS being RFC 8785. */
export function hashEvent(event: Omit<AuditEvent, 'hash'>): string {
  const { prevHash, ...rest } = event;
  const canonical = canonicalize(rest);
  if (canonical === undefined) throw new Error('audit event is not serialisable');
  // One-shot hash: half the cost of createHash().update().digest() per event, and a batch of
  // expiries hashes thousands of chained events under the audit lock.
  return hash('sha256', prevHash + canonical, 'hex');
}

/** An event about to be sealed, its `data` already RFC 8785 canonical JSON text. */
export type CanonicalUnhashed = Omit<AuditEvent, 'hash' | 'data'> & { data: string };

/**
 * `hashEvent` and the event's leaf (log/leaf.ts) around data already in canonical JSON: the
 * canonical JSON of an event is its fixed keys in sorted order around its data's, so both texts
 * are assembled here and the data is never parsed or serialised again. The integrator's hot
 * path; `hashEvent` and `eventLeaf` stay the plain definitions, which verify uses, so every
 * verification cross-checks this one (and unit tests compare them on hostile events).
 */
export function sealEvent(unhashed: CanonicalUnhashed): { hash: string; leaf: string } {
  const text = JSON.stringify;
  const head = `{"actor":${text(unhashed.actor)},"at":${text(unhashed.at)},"data":${unhashed.data}${
    unhashed.grantId === undefined ? '' : `,"grantId":${text(unhashed.grantId)}`
  }`;
  const tail = `${unhashed.requestId === undefined ? '' : `,"requestId":${text(unhashed.requestId)}`},"seq":${unhashed.seq},"type":${text(unhashed.type)}}`;
  const id = `,"id":${text(unhashed.id)}`;
  const eventHash = hash('sha256', `${unhashed.prevHash}${head}${id}${tail}`, 'hex');
  return {
    hash: eventHash,
    leaf: `${head},"hash":"${eventHash}"${id},"prevHash":${text(unhashed.prevHash)}${tail}`,
  };
}

/** RFC 8785 canonical JSON of an event's data; refuses what it cannot serialise (a lone surrogate). */
export function canonicalData(data: Record<string, unknown>): string {
  let canonical: string | undefined;
  try {
    canonical = canonicalize(data);
  } catch (error) {
    throw new Error(
      `audit event is not serialisable: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (canonical === undefined) throw new Error('audit event is not serialisable');
  return canonical;
}

// Defence in depth: the audit log must never hold a secret, whatever a caller puts in `data`.
const SECRET_KEYS = /token|credential|secret|password|private/i;

export function assertNoSecrets(data: Record<string, unknown>, path = 'data'): void {
  for (const [key, value] of Object.entries(data)) {
    if (SECRET_KEYS.test(key)) throw new Error(`audit ${path}.${key} looks like a secret`);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      assertNoSecrets(value as Record<string, unknown>, `${path}.${key}`);
    }
  }
}
