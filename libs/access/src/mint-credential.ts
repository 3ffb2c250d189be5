import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { Clock } from '#domain';
import { DomainError, checkMint, checkRecipientSeparation } from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import type { AccessRequestRow, ApprovalRow, Tx } from '#persistence';
import { Refusal, RequestRepository } from '#persistence';
import { auditDecision, refuse, refuseDecision } from './audit-helpers.js';
import type { ExtendedCredential } from './grant-extender.js';
import type { MintedCredential } from './grant-issuer.js';
import { Issuance } from './issuance.js';
import { mintInputMisfit } from './mint-input.js';
import { PolicyState } from './policy-state.js';
import type { MintInput } from './providers/credential-provider.js';
import { RequestLoader, invalidStateFor } from './request-loader.js';
import { CLOCK } from './wiring/tokens.js';

/**
 * Redeems an approved request: re-evaluates policy (docs/api.md §2 rule 7), has the role's provider
 * open access, commits the grant, schedules its revocation, then hands out the credential (for an
 * extension: moves the end of the grant it extends, grant-extender.ts). The
 * request lock and the unique grant per request make it mint once. Ordering and failures:
 * docs/providers.md.
 */
@Injectable()
export class MintCredential {
  constructor(
    private readonly issuance: Issuance,
    private readonly requests: RequestRepository,
    private readonly loader: RequestLoader,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  execute(
    caller: AuthenticatedPrincipal,
    requestId: string,
    mint: MintInput = {},
  ): Promise<MintedCredential | ExtendedCredential> {
    return this.issuance.run(async (tx, issue, extend) => {
      const row = await this.loader.forAction(tx, caller, requestId, 'credential.refused');
      if (row instanceof Refusal) return row;
      const approvals = await this.requests.approvals(tx, [row.id]);
      const refusal = await this.callerRefusal(tx, caller, row, approvals);
      if (refusal) return refusal;
      const role = this.policy.role(row.role);
      // A body that does not fit the role is the caller's mistake: a 400, nothing recorded.
      const misfit = mintInputMisfit(role, row.extendsGrantId !== null, mint);
      if (misfit) throw misfit;
      const subject = { actor: caller.id, requestId: row.id, action: 'mint' };
      const decision = checkMint(
        this.policy.context,
        role,
        this.candidate(row, approvals),
        this.clock.now(),
      );
      if (!decision.allowed) {
        if (decision.reason === 'redeem_window_passed') await this.loader.expire(tx, row, 'system');
        return refuseDecision(tx, this.audit, 'credential.refused', subject, decision);
      }
      await auditDecision(tx, this.audit, subject, decision);
      // An extension moves the end of the grant it extends instead of issuing one.
      return row.extendsGrantId === null ? issue(row, approvals, mint) : extend(row, approvals);
    });
  }

  /** Who may redeem, and whether there is anything left to redeem. */
  private async callerRefusal(
    tx: Tx,
    caller: AuthenticatedPrincipal,
    row: AccessRequestRow,
    approvals: readonly ApprovalRow[],
  ): Promise<Refusal | undefined> {
    const event = { actor: caller.id, requestId: row.id };
    if (row.status === 'issued') {
      const error = new DomainError(
        'already_issued',
        'a credential was already issued for this request',
        { reason: 'already_issued' },
      );
      return refuse(tx, this.audit, 'credential.refused', event, error);
    }
    // An agent redeems for the person it asked for (`onBehalfOf`): the credential still names the
    // person as `sub`, with the agent as `act.sub`.
    if (caller.id !== row.recipient && !(row.act !== null && caller.id === row.act)) {
      // An approver asking for the credential is the separation failure this product exists for:
      // rule 3 decides it, as a policy decision of its own.
      const approvers = approvals.map((a) => a.approver);
      const { separation } = this.policy.policy;
      const decision = checkRecipientSeparation(
        separation,
        this.policy.context.graph,
        caller.id,
        approvers,
      );
      if (!decision.allowed) {
        return refuseDecision(
          tx,
          this.audit,
          'credential.refused',
          { ...event, action: 'mint' },
          decision,
        );
      }
      const error = new DomainError('forbidden', 'only the recipient can redeem this request', {
        reason: 'not_recipient',
      });
      return refuse(tx, this.audit, 'credential.refused', event, error);
    }
    if (row.status !== 'approved') {
      return refuse(tx, this.audit, 'credential.refused', event, invalidStateFor(row, 'redeem'));
    }
    return undefined;
  }

  private candidate(row: AccessRequestRow, approvals: readonly ApprovalRow[]) {
    return {
      requester: row.requester,
      recipient: row.recipient,
      escalatedAt: row.escalatedAt,
      approvedAt: row.decidedAt ?? row.createdAt,
      durationSeconds: row.durationSeconds,
      approvals: approvals.map((a) => ({
        approver: a.approver,
        groups: this.policy.groupsNow(a.approver, a.tokenGroups),
        adminReach: a.adminReach,
      })),
    };
  }
}
