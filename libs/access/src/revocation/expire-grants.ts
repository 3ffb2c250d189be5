import type { AuditEventInput, AuditLog } from '#audit';
import type { Clock } from '#domain';
import type { GrantRepository, GrantRow, Tx, UnitOfWork } from '#persistence';
import type { AccessObserver } from '../observer.js';
import type { ProviderRegistry } from './credential-provider.js';

/** Who found the grants due: the metrics tell the fast path (job, timer) from the safety net. */
export type ExpirySource = 'job' | 'timer' | 'sweep' | 'startup';

export interface ExpiryRun {
  ended: number;
  failed: number;
  /** When grants whose provider failed are next due for an attempt. */
  retryAt: Date[];
}

const BATCH = 500;
const MAX_BACKOFF_SECONDS = 60;

/** Capped exponential backoff: 1 s, 2 s, 4 s … then every minute, for as long as it takes. */
export function revocationBackoffSeconds(failures: number): number {
  return Math.min(2 ** Math.max(0, failures - 1), MAX_BACKOFF_SECONDS);
}

/**
 * Ends every grant past its expiry, in batches: provider revoke, then `expired` and one
 * `grant.expired` event per grant in the same transaction. Claimed rows are locked (PostgreSQL
 * `SKIP LOCKED`), so jobs, sweeps and replicas racing end each grant exactly once. A provider that
 * fails leaves its grant active and overdue, audited, and due again after a capped backoff.
 */
export class ExpireGrants {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly grants: GrantRepository,
    private readonly audit: AuditLog,
    private readonly providers: ProviderRegistry,
    private readonly clock: Clock,
    private readonly observer: AccessObserver,
  ) {}

  async expireDue(source: ExpirySource): Promise<ExpiryRun> {
    const total: ExpiryRun = { ended: 0, failed: 0, retryAt: [] };
    for (;;) {
      const { claimed, ...run } = await this.uow.run((tx) => this.expireBatch(tx, source));
      total.ended += run.ended;
      total.failed += run.failed;
      total.retryAt.push(...run.retryAt);
      if (claimed < BATCH) return total;
    }
  }

  private async expireBatch(
    tx: Tx,
    source: ExpirySource,
  ): Promise<ExpiryRun & { claimed: number }> {
    const now = this.clock.now();
    // At start-up, wait for rows another process is ending rather than skip them: the broker
    // must not report ready while a revocation it could see is still in flight.
    const due = await this.grants.claimDue(tx, now, BATCH, source !== 'startup');
    const ended: GrantRow[] = [];
    const events: AuditEventInput[] = [];
    const retryAt: Date[] = [];
    for (const grant of due) {
      try {
        await this.providers.forGrant(grant).revoke(grant);
        ended.push(grant);
      } catch (error) {
        const failures = grant.revocationFailures + 1;
        const next = new Date(now.getTime() + revocationBackoffSeconds(failures) * 1000);
        await this.grants.recordRevocationFailure(tx, grant.id, failures, next);
        retryAt.push(next);
        events.push(failureEvent(grant, failures, next, error));
        this.observer.revocationFailed(grant.role);
      }
    }
    await this.grants.endMany(
      tx,
      ended.map((grant) => grant.id),
      { status: 'expired', endedAt: now, revokedBy: 'system' },
    );
    for (const grant of ended) {
      const lagSeconds = (now.getTime() - grant.expiresAt.getTime()) / 1000;
      events.push({
        type: 'grant.expired',
        actor: 'system',
        requestId: grant.requestId,
        grantId: grant.id,
        data: {
          role: grant.role,
          recipient: grant.recipient,
          source,
          lagMs: Math.round(lagSeconds * 1000),
        },
      });
      this.observer.grantEnded(grant.role, 'expired', { lagSeconds, source });
    }
    await this.audit.appendMany(tx, events);
    return { claimed: due.length, ended: ended.length, failed: due.length - ended.length, retryAt };
  }
}

function failureEvent(
  grant: GrantRow,
  failures: number,
  retryAt: Date,
  error: unknown,
): AuditEventInput {
  const message = error instanceof Error ? error.message : String(error);
  return {
    type: 'grant.revocation_failed',
    actor: 'system',
    requestId: grant.requestId,
    grantId: grant.id,
    data: {
      role: grant.role,
      failures,
      retryAt: retryAt.toISOString(),
      error: message.slice(0, 200),
    },
  };
}
