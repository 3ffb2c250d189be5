import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { Clock } from '#domain';
import { DomainError, allow, checkRequester, resolveBreakGlass } from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import type { Tx } from '#persistence';
import { AccessRequestRow, Refusal, RequestRepository } from '#persistence';
import { auditDecision, invalidInput, refuseRequest } from '../audit-helpers.js';
import type { MintedCredential } from '../grant-issuer.js';
import { Issuance } from '../issuance.js';
import { mintInputMisfit } from '../mint-input.js';
import type { AccessObserver } from '../observer.js';
import { PolicyState } from '../policy-state.js';
import { refuseRequestDecision, refuseUnknownRole } from '../role-refusal.js';
import { CLOCK, OBSERVER } from '../wiring/tokens.js';
import { ReviewOpener } from './review-opener.js';

export interface BreakGlassInput {
  role: string;
  durationSeconds?: number;
  justification?: string;
  /** An `ssh` role's: the OpenSSH public key to certify (docs/providers.md). */
  sshPublicKey?: string;
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
@Injectable()
export class ActivateBreakGlass {
  constructor(
    private readonly issuance: Issuance,
    private readonly reviews: ReviewOpener,
    private readonly requests: RequestRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBSERVER) private readonly observer: AccessObserver,
  ) {}

  execute(caller: AuthenticatedPrincipal, input: BreakGlassInput): Promise<BreakGlassActivation> {
    return this.issuance.run(async (tx, issue) => {
      const row = await this.clearedRequest(tx, caller, input);
      if (row instanceof Refusal) return row;
      const issued = await issue(row, [], { sshPublicKey: input.sshPublicKey });
      if (issued instanceof Refusal) return issued;
      const reviewDueAt = await this.reviews.open(tx, row);
      return {
        ...issued,
        requestId: row.id,
        breakGlass: { reviewDueAt: reviewDueAt.toISOString() },
      };
    });
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
    // Nothing recorded yet: a body that does not fit the role is a plain 400.
    const misfit = mintInputMisfit(role, false, input);
    if (misfit) throw misfit;
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
}
