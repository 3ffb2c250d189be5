import { Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import { SigningKeys } from '#credentials';
import type { PolicyDefinition, Principal } from '#domain';
import { checkAdmin } from '#domain';
import type { Tx } from '#persistence';
import { UnitOfWork } from '#persistence';
import { auditDecision, refuseDecision } from './audit-helpers.js';
import { PolicyState } from './policy-state.js';

export interface KeyRotation {
  /** The key that signs from now on. */
  kid: string;
  /** The keys it replaces: they stay in JWKS for `publishedFor` seconds. */
  retired: string[];
  publishedFor: number;
}

/**
 * Adds a signing key and records `key.rotated` by `actor`, in `tx`. The one rotation behind both
 * `npm run keys:rotate` (actor `system`) and `POST /v1/keys/rotate` (an admin). The retired keys
 * stay published for the longest role maxExtendedDuration, so every credential they signed still
 * verifies until it expires: a token an extension signs lives at most that long from its first
 * issue (break-glass credentials are bounded by their role's maxDuration, shorter still).
 *
 * SigningKeys writes through its own connection: on SQLite (one connection) that lands in `tx`, on
 * PostgreSQL it commits just before `tx`, so a failed audit append can leave a rotation unrecorded,
 * never a recorded rotation that did not happen.
 */
export async function rotateSigningKey(
  tx: Tx,
  keys: SigningKeys,
  audit: AuditLog,
  policy: Pick<PolicyDefinition, 'roles'>,
  actor: string,
): Promise<KeyRotation> {
  const publishedFor = Math.max(0, ...policy.roles.map((role) => role.maxExtendedDuration));
  const { kid, retired } = await keys.rotate(publishedFor);
  await audit.append(tx, {
    type: 'key.rotated',
    actor,
    data: { kid, retired, publishedForSeconds: publishedFor },
  });
  return { kid, retired, publishedFor };
}

/**
 * `POST /v1/keys/rotate`: admins only, refused like the admin-only audit reads and audited as a
 * denying `policy.evaluated` event and `key.refused`.
 */
@Injectable()
export class RotateSigningKey {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly keys: SigningKeys,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
  ) {}

  async execute(principal: Principal): Promise<KeyRotation> {
    return this.uow.run(async (tx) => {
      const decision = checkAdmin(this.policy.policy, principal, 'key.rotate');
      const subject = { actor: principal.id, action: 'key.rotate', data: { action: 'key.rotate' } };
      if (!decision.allowed)
        return refuseDecision(tx, this.audit, 'key.refused', subject, decision);
      await auditDecision(tx, this.audit, subject, decision);
      return rotateSigningKey(tx, this.keys, this.audit, this.policy.policy, principal.id);
    });
  }
}
