import { randomUUID } from 'node:crypto';
import type { AuditLog } from '#audit';
import type { CredentialMinter } from '#credentials';
import type { Clock } from '#domain';
import { DomainError, allow, checkRequester, resolveBreakGlass } from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import type { BreakGlassRepository, RequestRepository, Tx, UnitOfWork } from '#persistence';
import { AccessRequestRow, BreakGlassReviewRow, Refusal, runAfterCommit } from '#persistence';
import { auditDecision, invalidInput, refuseRequest } from '../audit-helpers.js';
import type { GrantIssuer, MintedCredential, Opened } from '../grant-issuer.js';
import type { AccessObserver } from '../observer.js';
import type { PolicyState } from '../policy-state.js';
import { refuseRequestDecision, refuseUnknownRole } from '../role-refusal.js';
import type { RevocationScheduler } from '../revocation/revocation-scheduler.js';
import type { BreakGlassAlerts } from './alerts.js';

export interface BreakGlassInput {
  role: string;
  durationSeconds?: number;
  justification?: string;
}

export interface BreakGlassActivation extends MintedCredential {
  requestId: string;
  breakGlass: { reviewDueAt: string };
}

/**
 * Break-glass: an eligible requester of a role that allows it gets a credential at once,
 * for itself only, capped at the break-glass maximum. The request is recorded as issued without an
 * approval, the security team is alerted after commit, and a review by someone else is due within
 * `reviewWithin`. Everything else is the normal issuing path: provider, grant row, revocation.
 */
export class ActivateBreakGlass {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly reviews: BreakGlassRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    private readonly minter: CredentialMinter,
    private readonly issuer: GrantIssuer,
    private readonly scheduler: RevocationScheduler,
    private readonly alerts: BreakGlassAlerts,
    private readonly clock: Clock,
    private readonly observer: AccessObserver,
  ) {}

  async execute(
    caller: AuthenticatedPrincipal,
    input: BreakGlassInput,
  ): Promise<BreakGlassActivation> {
    const signer = await this.minter.signer();
    const opened: Opened[] = [];
    const activated = await this.uow
      .run(async (tx) => {
        const row = await this.clearedRequest(tx, caller, input);
        if (row instanceof Refusal) return row;
        const issued = await this.issuer.issue(tx, signer, row, [], opened);
        if (issued instanceof Refusal) return issued;
        const reviewDueAt = await this.openReview(tx, row);
        return {
          ...issued,
          requestId: row.id,
          breakGlass: { reviewDueAt: reviewDueAt.toISOString() },
        };
      })
      .catch((error: unknown) => {
        this.issuer.withdraw(opened);
        throw error;
      });
    await this.scheduler.schedule([new Date(activated.expiresAt)]);
    return activated;
  }

  /** The checks, then the request row, inserted as approved (by no one) for the issuer. */
  private async clearedRequest(
    tx: Tx,
    caller: AuthenticatedPrincipal,
    input: BreakGlassInput,
  ): Promise<AccessRequestRow | Refusal> {
    const actor = caller.id;
    const subject = { actor, action: 'break_glass' };
    // As for a request (role-refusal.ts): only the role's requesters learn that it exists.
    const role = this.policy.role(input.role);
    if (!role) return refuseUnknownRole(tx, this.audit, actor, input.role);
    const eligible = checkRequester(role, caller);
    if (!eligible.allowed) return refuseRequestDecision(tx, this.audit, subject, eligible);
    if (!role.breakGlass) {
      const error = new DomainError('forbidden', `${role.name} does not allow break-glass`, {
        reason: 'break_glass_not_allowed',
      });
      return refuseRequest(tx, this.audit, actor, role.name, error);
    }
    const resolved = resolveBreakGlass(role, input);
    if (!resolved.ok) {
      return refuseRequest(tx, this.audit, actor, role.name, invalidInput(resolved.fields));
    }
    const now = this.clock.now();
    const row: AccessRequestRow = Object.assign(new AccessRequestRow(), {
      id: randomUUID(),
      role: role.name,
      resource: role.resource,
      requester: actor,
      recipient: actor,
      justification: resolved.justification,
      durationSeconds: resolved.durationSeconds,
      status: 'approved',
      approvalsRequired: 0,
      createdAt: now,
      deadlineAt: null,
      decidedAt: now,
      grantId: null,
      intent: null,
      breakGlass: true,
      act: null,
      requesterGroups: [...caller.tokenGroups],
    });
    await this.requests.insert(tx, row);
    await auditDecision(tx, this.audit, { ...subject, requestId: row.id }, allow('break_glass'));
    await this.audit.append(tx, {
      type: 'break_glass.activated',
      actor,
      requestId: row.id,
      data: {
        role: role.name,
        resource: role.resource,
        duration: row.durationSeconds,
        justification: resolved.justification,
        reviewWithin: role.breakGlass.reviewWithin,
      },
    });
    this.observer.breakGlass(role.name, 'activated');
    return row;
  }

  private async openReview(tx: Tx, row: AccessRequestRow): Promise<Date> {
    const policy = this.policy.role(row.role)!.breakGlass!;
    const dueAt = new Date(row.createdAt.getTime() + policy.reviewWithin * 1000);
    await this.reviews.insert(
      tx,
      Object.assign(new BreakGlassReviewRow(), {
        requestId: row.id,
        role: row.role,
        activatedBy: row.requester,
        activatedAt: row.createdAt,
        dueAt,
        nextEscalationAt: dueAt,
        escalations: 0,
        reviewedBy: null,
        reviewedAt: null,
        comment: null,
      }),
    );
    runAfterCommit(tx, () =>
      this.alerts.send(
        {
          kind: 'activated',
          requestId: row.id,
          role: row.role,
          activatedBy: row.requester,
          justification: row.justification ?? '',
          activatedAt: row.createdAt.toISOString(),
          reviewDueAt: dueAt.toISOString(),
          escalations: 0,
        },
        policy,
      ),
    );
    return dueAt;
  }
}
