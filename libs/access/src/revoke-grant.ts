import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { Clock, Principal } from '#domain';
import { DomainError, canSeeGrant } from '#domain';
import type { GrantRow } from '#persistence';
import { GrantRepository, Refusal, UnitOfWork } from '#persistence';
import { grantNotFound, refuse } from './audit-helpers.js';
import { PolicyState } from './policy-state.js';
import { GrantEnder } from './revocation/end-grants.js';
import type { RevocationScheduler } from './revocation/revocation-scheduler.js';
import { BUCKET_MS, bucketEnd } from './revocation/revocation-scheduler.js';
import { waitAtMost } from './wait-at-most.js';
import type { GrantView } from './views.js';
import { toGrantView } from './views.js';
import { CLOCK, REVOCATION_SCHEDULER } from './wiring/tokens.js';

// How long a revocation waits for Redis to drop the expiry job: a hung or absent Redis (whose
// queue connection waits for it to come back) must not hold the answer.
const RELEASE_WAIT_MS = 1000;

/**
 * Early revocation by the recipient or an admin, through the same `GrantEnder` as expiry.
 * Revoking a grant that already ended returns it unchanged (idempotent).
 */
@Injectable()
export class RevokeGrant {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly grants: GrantRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    private readonly ender: GrantEnder,
    @Inject(REVOCATION_SCHEDULER) private readonly scheduler: RevocationScheduler,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async byPrincipal(principal: Principal, grantId: string, reason: string): Promise<GrantView> {
    const grant = await this.uow.run(async (tx) => {
      // Locked, so an expiry job or sweep racing this call waits and then finds it ended.
      const locked = await this.grants.findVisible(tx, this.policy.scopeFor(principal), grantId, {
        lock: true,
      });
      if (!locked || !canSeeGrant(this.policy.policy, principal, locked)) {
        const event = { actor: principal.id, data: { grantId, action: 'revoke' } };
        return refuse(tx, this.audit, 'grant.refused', event, grantNotFound());
      }
      if (locked.status !== 'active') return locked;
      const now = this.clock.now();
      const result = await this.ender.end(
        tx,
        [locked],
        { status: 'revoked', actor: principal.id, reason },
        now,
      );
      if (result.failed.length > 0) {
        // The failure is audited and counted (committed with this refusal); the caller may retry.
        return new Refusal(
          new DomainError(
            'unavailable',
            'the target system could not revoke the credential yet; try again',
            {
              reason: 'provider_failed',
            },
          ),
        );
      }
      return locked;
    });
    if (grant.status === 'revoked' && grant.revokedBy === principal.id)
      await this.releaseSchedule(grant);
    return toGrantView(grant, this.clock.now());
  }

  /** Drops the expiry job of a bucket none of whose grants is still active (best effort). */
  private async releaseSchedule(grant: GrantRow): Promise<void> {
    const end = bucketEnd(grant.expiresAt);
    const others = await this.uow.read((db) =>
      this.grants.countActiveExpiring(db, new Date(end - BUCKET_MS), new Date(end)),
    );
    if (others > 0) return;
    // A job left behind finds nothing to end; nothing is lost.
    const released = this.scheduler.release(end).catch(() => undefined);
    await waitAtMost(released, RELEASE_WAIT_MS);
  }
}
