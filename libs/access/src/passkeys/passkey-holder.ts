import { createHash } from 'node:crypto';
import type { AuditLog } from '#audit';
import type { Principal } from '#domain';
import { DomainError, passkeyHolderProblem, principalKind } from '#domain';
import type { Refusal, Tx } from '#persistence';
import { refuse } from '../audit-helpers.js';
import type { PolicyState } from '../policy-state.js';

/** A signed-in web session as the passkey use cases need it. */
export interface PasskeySession {
  /** The session cookie's secret id: challenges are bound to its hash, like the session row. */
  id: string;
  principal: Principal;
  signedInAt: Date;
}

export const sessionHash = (id: string): string => createHash('sha256').update(id).digest('hex');

/** Refusal of a passkey change from a sign-in older than five minutes (FRESH_SIGN_IN_MS). */
export const staleSignIn = (what: string) =>
  new DomainError('forbidden', `${what} needs a sign-in of the last 5 minutes: sign in again`, {
    reason: 'sign_in_stale',
  });

/** Audits a refused passkey action (`passkey.refused`) and returns it, to throw after commit. */
export function refusePasskey(
  tx: Tx,
  audit: AuditLog,
  actor: Principal,
  data: { action: string; passkeyId?: string },
  error: DomainError,
): Promise<Refusal> {
  return refuse(tx, audit, 'passkey.refused', { actor: actor.id, data }, error);
}

/** Refused unless the principal is a person (docs/identity.md, "Passkeys"). */
export async function refuseNonPerson(
  tx: Tx,
  audit: AuditLog,
  policy: PolicyState,
  principal: Principal,
  action: string,
): Promise<Refusal | undefined> {
  const problem = passkeyHolderProblem(
    principalKind(principal.id),
    policy.context.graph.isNonHuman(principal.id),
  );
  if (problem === undefined) return undefined;
  const error = new DomainError('forbidden', problem, { reason: 'not_a_person' });
  return refusePasskey(tx, audit, principal, { action }, error);
}
