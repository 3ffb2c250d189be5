import type { Decision } from './decision.js';
import { allow, deny } from './decision.js';
import { formatDuration } from './durations.js';
import type { RoleDefinition } from './policy.js';
import type { GrantStatus } from './request-state.js';

/** What the extension rules read of a grant. */
export interface ExtendableGrant {
  readonly recipient: string;
  readonly status: GrantStatus;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

/**
 * Only the grant's recipient asks for more time: exactly that principal, not a linked identity.
 * A grant is visible to its recipient and to admins only (`canSeeGrant`); an alias or an owner
 * asking would widen who acts on a grant beyond who may see it, and an admin is not its holder.
 */
export function checkExtender(grant: ExtendableGrant, caller: string): Decision {
  return caller === grant.recipient
    ? allow('extension.recipient')
    : deny(
        'extension.recipient',
        'forbidden',
        'not_recipient',
        "only the grant's recipient can extend it",
      );
}

/**
 * A grant can be extended only while it is live: active and before its expiry. An active grant
 * past its expiry is ending (its revocation is late), and extending it would revive it.
 */
export function checkExtendable(grant: ExtendableGrant, now: Date): Decision {
  if (grant.status !== 'active' || grant.expiresAt.getTime() <= now.getTime()) {
    const state = grant.status === 'active' ? 'expired' : grant.status;
    return deny(
      'extension.grant_active',
      'invalid_state',
      'grant_not_active',
      `cannot extend a grant that has ${state}`,
    );
  }
  return allow('extension.grant_active');
}

/** The end an extension of `durationSeconds` gives: added to the grant's current end. */
export function extendedExpiry(grant: ExtendableGrant, durationSeconds: number): Date {
  return new Date(grant.expiresAt.getTime() + durationSeconds * 1000);
}

/**
 * The role's cap: from its first issue, a grant never lasts longer than `maxExtendedDuration`,
 * however many extensions it gets. Checked when the extension is asked for and again when it is
 * redeemed, against the role as configured then.
 */
export function checkExtensionCap(
  role: Pick<RoleDefinition, 'maxExtendedDuration'>,
  grant: ExtendableGrant,
  durationSeconds: number,
): Decision {
  const total =
    (extendedExpiry(grant, durationSeconds).getTime() - grant.issuedAt.getTime()) / 1000;
  if (total <= role.maxExtendedDuration) return allow('extension.cap');
  const left = Math.max(
    0,
    role.maxExtendedDuration - (grant.expiresAt.getTime() - grant.issuedAt.getTime()) / 1000,
  );
  const room = left >= 1 ? `at most ${formatDuration(Math.floor(left))} more` : 'no more time';
  return deny(
    'extension.cap',
    'not_eligible',
    'exceeds_max_extended_duration',
    `the grant would last longer than the role's maxExtendedDuration of ` +
      `${formatDuration(role.maxExtendedDuration)} from its first issue: ${room} can be added`,
  );
}
