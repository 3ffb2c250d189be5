import type { AuditLog } from '#audit';
import type { Clock, Principal } from '#domain';
import { canSeeGrant } from '#domain';
import type { GrantRepository, GrantRow, Tx, UnitOfWork } from '#persistence';
import { grantNotFound, refuse } from './audit-helpers.js';
import type { AccessObserver } from './observer.js';
import type { PolicyState } from './policy-state.js';
import type { ProviderRegistry } from './revocation/credential-provider.js';
import type { RevocationScheduler } from './revocation/revocation-scheduler.js';
import { BUCKET_MS, bucketEnd } from './revocation/revocation-scheduler.js';
import type { GrantView } from './views.js';
import { toGrantView } from './views.js';

export interface GrantEndRequest {
  grantId: string;
  /** `expired` only at the grant's expiry; `revoked` for any early end. */
  status: 'revoked' | 'expired';
  actor: string;
  reason?: string;
}

/**
 * The one way a grant ends, whoever asks: the API, and later the expiry job, the sweep and
 * start-up. Idempotent: the guarded update lets exactly one caller end a grant and audit it.
 */
export class RevokeGrant {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly grants: GrantRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    private readonly providers: ProviderRegistry,
    private readonly scheduler: RevocationScheduler,
    private readonly clock: Clock,
    private readonly observer: AccessObserver,
  ) {}

  /** Early revocation by the recipient or an admin. Revoking an ended grant returns it unchanged. */
  async byPrincipal(principal: Principal, grantId: string, reason: string): Promise<GrantView> {
    const { grant, ended } = await this.uow.run(async (tx) => {
      const grant = await this.grants.findVisible(tx, this.policy.scopeFor(principal), grantId);
      if (!grant || !canSeeGrant(this.policy.policy, principal, grant)) {
        return refuse(
          tx,
          this.audit,
          'grant.refused',
          { actor: principal.id, data: { grantId, action: 'revoke' } },
          grantNotFound(),
        );
      }
      const ended = await this.endWithin(tx, grant, {
        grantId,
        status: 'revoked',
        actor: principal.id,
        reason,
      });
      return { grant, ended };
    });
    if (ended) await this.releaseSchedule(grant);
    return toGrantView(grant, this.clock.now());
  }

  /** Ends a grant on behalf of the system; true when this call ended it. */
  async end(request: GrantEndRequest): Promise<boolean> {
    return this.uow.run(async (tx) => {
      const grant = await this.grants.findByCredentialId(tx, request.grantId);
      return grant ? this.endWithin(tx, grant, request) : false;
    });
  }

  private async endWithin(tx: Tx, grant: GrantRow, request: GrantEndRequest): Promise<boolean> {
    if (grant.status !== 'active') return false;
    // The target first: a grant is reported ended only once its access is gone.
    await this.providers.forGrant(grant).revoke(grant);
    const endedAt = this.clock.now();
    const ended = await this.grants.endIfActive(tx, grant.id, {
      status: request.status,
      endedAt,
      revokedReason: request.reason,
      revokedBy: request.actor,
    });
    if (!ended) return false;
    // The jwt provider needs no call here: introspection reads the grant's status. Providers
    // with state of their own (issue 6) hook in at this point.
    Object.assign(grant, {
      status: request.status,
      endedAt,
      revokedReason: request.reason ?? null,
      revokedBy: request.actor,
    });
    await this.audit.append(tx, {
      type: request.status === 'expired' ? 'grant.expired' : 'grant.revoked',
      actor: request.actor,
      requestId: grant.requestId,
      grantId: grant.id,
      data: {
        role: grant.role,
        recipient: grant.recipient,
        ...(request.reason ? { reason: request.reason } : {}),
      },
    });
    this.observer.grantEnded(grant.role, request.status);
    return true;
  }

  /** Drops the expiry job of a bucket none of whose grants is still active (best effort). */
  private async releaseSchedule(grant: GrantRow): Promise<void> {
    const end = bucketEnd(grant.expiresAt);
    const others = await this.uow.read((db) =>
      this.grants.countActiveExpiring(db, new Date(end - BUCKET_MS), new Date(end)),
    );
    if (others > 0) return;
    try {
      await this.scheduler.release(end);
    } catch {
      // A job left behind finds nothing to end; nothing is lost.
    }
  }
}
