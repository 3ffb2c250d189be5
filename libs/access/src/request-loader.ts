import { Inject, Injectable } from '@nestjs/common';
import type { AuditEventType } from '#audit';
import { AuditLog } from '#audit';
import type { Clock, Principal } from '#domain';
import { DomainError, canSeeRequest, isPastDeadline } from '#domain';
import type { AccessRequestRow, Tx } from '#persistence';
import { RequestRepository } from '#persistence';
import type { Refusal } from '#persistence';
import { refuse, requestNotFound } from './audit-helpers.js';
import type { AccessObserver } from './observer.js';
import { PolicyState } from './policy-state.js';
import { CLOCK, OBSERVER } from './wiring/tokens.js';

/**
 * Loads a request for a state change: locked, visible to the caller (404 otherwise, the same as a
 * request that does not exist), and expired on the spot if it is pending past its deadline.
 */
@Injectable()
export class RequestLoader {
  constructor(
    private readonly requests: RequestRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBSERVER) private readonly observer: AccessObserver,
  ) {}

  async forAction(
    tx: Tx,
    principal: Principal,
    id: string,
    refusalType: AuditEventType,
  ): Promise<AccessRequestRow | Refusal> {
    const scope = this.policy.scopeFor(principal);
    const row = await this.requests.findVisible(tx, scope, id, { lock: true });
    if (!row || !canSeeRequest(this.policy.policy, principal, row)) {
      return refuse(
        tx,
        this.audit,
        refusalType,
        { actor: principal.id, data: { requestId: id } },
        requestNotFound(),
      );
    }
    // Only a pending request can lapse here; an approved one is redeemed (or not) by the mint,
    // which re-evaluates the redeem window against the role as configured now (rule 7).
    if (row.status === 'pending' && isPastDeadline(row.deadlineAt ?? undefined, this.clock.now())) {
      await this.expire(tx, row, 'system');
      const error = new DomainError('invalid_state', 'the request has expired', {
        reason: 'request_expired',
      });
      return refuse(tx, this.audit, refusalType, { actor: principal.id, requestId: id }, error);
    }
    return row;
  }

  /**
   * Moves an open request to `expired`; `reason` says why when it is not its deadline. Returns
   * false when another caller already moved it.
   */
  async expire(tx: Tx, row: AccessRequestRow, actor: string, reason?: string): Promise<boolean> {
    const from = row.status;
    const moved = await this.requests.transition(tx, row.id, from, {
      status: 'expired',
      deadlineAt: null,
    });
    if (!moved) return false;
    await this.audit.append(tx, {
      type: 'request.expired',
      actor,
      requestId: row.id,
      data: {
        from,
        deadline: row.deadlineAt?.toISOString() ?? null,
        ...(reason ? { reason } : {}),
      },
    });
    row.status = 'expired';
    this.observer.requestDecided(row.role, 'expired');
    this.observer.requestChanged(tx, { requestId: row.id, kind: 'expired', actor });
    return true;
  }
}

export function invalidStateFor(row: AccessRequestRow, action: string): DomainError {
  return new DomainError('invalid_state', `cannot ${action} a request that is ${row.status}`, {
    reason: `request_${row.status}`,
  });
}
