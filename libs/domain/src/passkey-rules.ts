import { DomainError } from './errors.js';
import type { PrincipalKind } from './principal.js';

/** Removing a passkey needs a sign-in younger than this: a stolen, idle session cannot. */
export const FRESH_SIGN_IN_MS = 5 * 60_000;

/** A registration challenge is answered within this, or not at all. */
export const REGISTRATION_CHALLENGE_MS = 5 * 60_000;

/** An approval's signing challenge is answered within this, or the approver starts again. */
export const SIGNING_CHALLENGE_MS = 5 * 60_000;

export const PASSKEY_NAME_MAX = 64;

/** True when the sign-in happened less than FRESH_SIGN_IN_MS before `now`. */
export function isFreshSignIn(signedInAt: Date, now: Date): boolean {
  const age = now.getTime() - signedInAt.getTime();
  return age >= 0 && age < FRESH_SIGN_IN_MS;
}

/**
 * A passkey's name as its owner typed it: trimmed, 1 to 64 characters, no control characters
 * (it is shown on pages, escaped, and written to the audit log). Throws `invalid_request`.
 */
export function passkeyName(input: string): string {
  const name = input.trim();
  const problem =
    name.length === 0
      ? 'must not be empty'
      : name.length > PASSKEY_NAME_MAX
        ? `must be at most ${PASSKEY_NAME_MAX} characters`
        : /\p{Cc}/u.test(name)
          ? 'must not contain control characters'
          : undefined;
  if (problem === undefined) return name;
  throw new DomainError('invalid_request', `name: ${problem}`, {
    fields: [{ field: 'name', message: problem }],
  });
}

/**
 * The WebAuthn relying party of a broker: its id is the host name of `publicUrl` (no port), the
 * origin its scheme, host and port. Browsers bind a passkey to the id, and sign the origin.
 */
export function relyingParty(publicUrl: string): { id: string; origin: string } {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin };
}

/**
 * Why a principal may not hold a passkey, or undefined. Only people approve with one: a workload,
 * a service account, or an identity with an owner or a delegator (an agent) never registers.
 */
export function passkeyHolderProblem(kind: PrincipalKind, nonHuman: boolean): string | undefined {
  if (kind === 'workload') return 'a workload cannot hold a passkey: only people register one';
  if (kind === 'service_account') {
    return 'a service account cannot hold a passkey: only people register one';
  }
  if (nonHuman) {
    return 'this identity is not a person (it has an owner or acts by delegation): only people register a passkey';
  }
  return undefined;
}
