import { Inject, Injectable } from '@nestjs/common';
import type { AuditEventInput } from '#audit';
import { AuditLog } from '#audit';
import type { GrantRow, Tx } from '#persistence';
import { GrantRepository } from '#persistence';
import type { AccessObserver } from '../observer.js';
import { ProviderRegistry } from '../providers/provider-registry.js';
import { OBSERVER } from '../wiring/tokens.js';
import { mapInFlight } from './in-flight.js';

/** Who found the grants to end: metrics tell the fast path (job, timer) from the safety net. */
export type ExpirySource = 'job' | 'timer' | 'sweep' | 'startup';

export interface GrantEnding {
  /** `expired` only at the grant's expiry; `revoked` for any early end. */
  status: 'revoked' | 'expired';
  actor: string;
  reason?: string;
  /** For expiries: what found them due. */
  source?: ExpirySource;
}

export interface EndResult {
  ended: GrantRow[];
  failed: { grant: GrantRow; failures: number; retryAt: Date }[];
}

const MAX_BACKOFF_SECONDS = 60;
/** Provider revocations of one batch running at once (the postgres provider's pool has 4). */
const PROVIDER_CALLS_IN_FLIGHT = 8;

/** Capped exponential backoff: 1 s, 2 s, 4 s … then every minute, for as long as it takes. */
export function revocationBackoffSeconds(failures: number): number {
  return Math.min(2 ** Math.max(0, failures - 1), MAX_BACKOFF_SECONDS);
}

/**
 * The one way grants end, whoever asks (the API, a job, the sweep, start-up): the provider revokes
 * first, then a guarded update (`status = 'active'`) and one audit event per grant, in the caller's
 * transaction, on rows the caller has locked. So a grant ends exactly once however many callers
 * race, and is reported ended only once its access is gone. A provider failure leaves the grant
 * active, counts the failure, audits it and sets the next attempt after a capped backoff.
 */
@Injectable()
export class GrantEnder {
  constructor(
    private readonly grants: GrantRepository,
    private readonly audit: AuditLog,
    private readonly providers: ProviderRegistry,
    @Inject(OBSERVER) private readonly observer: AccessObserver,
  ) {}

  async end(
    tx: Tx,
    candidates: readonly GrantRow[],
    ending: GrantEnding,
    now: Date,
  ): Promise<EndResult> {
    const result: EndResult = { ended: [], failed: [] };
    const events: AuditEventInput[] = [];
    const active = candidates.filter((candidate) => candidate.status === 'active');
    // Provider calls run a few at a time: a batch holds its grants' row locks until it commits,
    // and a target that answers slowly would otherwise hold them for the sum of its answers.
    const outcomes = await mapInFlight(active, PROVIDER_CALLS_IN_FLIGHT, async (grant) => {
      try {
        await this.providers.forGrant(grant).revoke(grant);
        return { grant, failed: false as const };
      } catch (error) {
        return { grant, failed: true as const, error };
      }
    });
    for (const outcome of outcomes) {
      const { grant } = outcome;
      if (!outcome.failed) {
        result.ended.push(grant);
        continue;
      }
      const failures = grant.revocationFailures + 1;
      const retryAt = new Date(now.getTime() + revocationBackoffSeconds(failures) * 1000);
      await this.grants.recordRevocationFailure(tx, grant.id, failures, retryAt);
      result.failed.push({ grant, failures, retryAt });
      events.push(failureEvent(grant, failures, retryAt, outcome.error));
      this.observer.revocationFailed(grant.role);
    }
    const ids = result.ended.map((grant) => grant.id);
    const count = await this.grants.endMany(tx, ids, {
      status: ending.status,
      endedAt: now,
      revokedReason: ending.reason,
      revokedBy: ending.actor,
    });
    if (count !== ids.length)
      throw new Error(`ended ${count} of ${ids.length} claimed grants: a claim was not held`);
    for (const grant of result.ended) {
      Object.assign(grant, {
        status: ending.status,
        endedAt: now,
        revokedReason: ending.reason ?? null,
        revokedBy: ending.actor,
      });
      events.push(endEvent(grant, ending, now));
      const lagSeconds = (now.getTime() - grant.expiresAt.getTime()) / 1000;
      this.observer.grantEnded(
        grant.role,
        ending.status,
        ending.source ? { lagSeconds, source: ending.source } : undefined,
      );
    }
    await this.audit.appendMany(tx, events);
    this.observer.grantsEnded(tx, {
      grants: result.ended,
      status: ending.status,
      actor: ending.actor,
    });
    return result;
  }
}

function endEvent(grant: GrantRow, ending: GrantEnding, now: Date): AuditEventInput {
  const common = { role: grant.role, recipient: grant.recipient };
  return {
    type: ending.status === 'expired' ? 'grant.expired' : 'grant.revoked',
    actor: ending.actor,
    requestId: grant.requestId,
    grantId: grant.id,
    data: ending.source
      ? { ...common, source: ending.source, lagMs: now.getTime() - grant.expiresAt.getTime() }
      : { ...common, ...(ending.reason ? { reason: ending.reason } : {}) },
  };
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
