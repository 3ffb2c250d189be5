import type { AuditLog } from '#audit';
import type { Decision } from '#domain';
import { DomainError } from '#domain';
import type { Tx } from '#persistence';
import { Refusal } from '#persistence';
import { refuseDecision, refuseRequest } from './audit-helpers.js';

/**
 * An unknown role and a role the caller may not request get one answer, word for word, so that
 * refusals never tell which roles exist; `GET /v1/roles` lists the ones the caller may
 * request. The audit log (admins only) keeps which it was: `unknown_role` or `not_a_requester`.
 */
export function roleNotRequestable(): DomainError {
  return new DomainError(
    'not_eligible',
    'you may not request this role; GET /v1/roles lists the roles you may request',
    { reason: 'not_a_requester' },
  );
}

/** A role the policy does not have: audited as `unknown_role`, answered as any role not yours. */
export async function refuseUnknownRole(
  tx: Tx,
  audit: AuditLog,
  actor: string,
  role: string,
): Promise<Refusal> {
  const precise = new DomainError('not_eligible', 'no such role', { reason: 'unknown_role' });
  await refuseRequest(tx, audit, actor, role, precise);
  return new Refusal(roleNotRequestable());
}

/**
 * A denied request decision, audited as it is (`policy.evaluated` and `request.refused`); a caller
 * who is not a requester of the role gets the answer an unknown role gets.
 */
export async function refuseRequestDecision(
  tx: Tx,
  audit: AuditLog,
  subject: { actor: string; requestId?: string; action: string },
  decision: Decision,
): Promise<Refusal> {
  const refusal = await refuseDecision(tx, audit, 'request.refused', subject, decision);
  const notARequester = !decision.allowed && decision.reason === 'not_a_requester';
  return notARequester ? new Refusal(roleNotRequestable()) : refusal;
}
