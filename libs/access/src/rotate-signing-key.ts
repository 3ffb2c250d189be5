import { Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import { SigningKeys } from '#credentials';
import type { PolicyDefinition, Principal } from '#domain';
import { allow, deny, refusalError } from '#domain';
import type { Tx } from '#persistence';
import { UnitOfWork } from '#persistence';
import { Refusal } from '#persistence';
import { auditDecision } from './audit-helpers.js';
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
 * stay published for the longest role maxDuration, so every credential they signed still verifies
 * until it expires (break-glass credentials are bounded by their role's maxDuration too).
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
  const publishedFor = Math.max(0, ...policy.roles.map((role) => role.maxDuration));
  const { kid, retired } = await keys.rotate(publishedFor);
  await audit.append(tx, {
    type: 'key.rotated',
    actor,
    data: { kid, retired, publishedForSeconds: publishedFor },
  });
  return { kid, retired, publishedFor };
}

/** `POST /v1/keys/rotate`: admins only, refused (and audited) like the admin-only audit reads. */
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
      const decision = this.policy.isAdmin(principal)
        ? allow('admins')
        : deny('admins', 'forbidden', 'not_admin', 'only admins can rotate signing keys');
      await auditDecision(tx, this.audit, { actor: principal.id, action: 'key.rotate' }, decision);
      if (!decision.allowed) return new Refusal(refusalError(decision));
      return rotateSigningKey(tx, this.keys, this.audit, this.policy.policy, principal.id);
    });
  }
}
