import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { Clock } from '#domain';
import { DomainError, checkBreakGlassReviewer, deny } from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import { BreakGlassRepository, Refusal, RequestRepository, UnitOfWork } from '#persistence';
import { auditDecision, refuse, refuseDecision } from '../audit-helpers.js';
import type { AccessObserver } from '../observer.js';
import { PolicyState } from '../policy-state.js';
import { RequestLoader } from '../request-loader.js';
import type { RequestView } from '../views.js';
import { toRequestView } from '../views.js';
import { CLOCK, OBSERVER } from '../wiring/tokens.js';

/**
 * The post-hoc review of a break-glass activation: by a principal distinct from (and not linked
 * to) the one who broke the glass, an approver of the role or an admin. Once reviewed, it stops
 * escalating. A review is recorded once; a second one is refused as `already_reviewed`.
 */
@Injectable()
export class ReviewBreakGlass {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly reviews: BreakGlassRepository,
    private readonly loader: RequestLoader,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBSERVER) private readonly observer: AccessObserver,
  ) {}

  async execute(
    reviewer: AuthenticatedPrincipal,
    requestId: string,
    comment?: string,
  ): Promise<RequestView> {
    return this.uow.run(async (tx) => {
      const row = await this.loader.forAction(tx, reviewer, requestId, 'review.refused');
      if (row instanceof Refusal) return row;
      const review = row.breakGlass ? await this.reviews.lock(tx, row.id) : null;
      const event = { actor: reviewer.id, requestId: row.id };
      if (!review) {
        const error = new DomainError('invalid_state', 'not a break-glass activation', {
          reason: 'not_break_glass',
        });
        return refuse(tx, this.audit, 'review.refused', event, error);
      }
      const subject = { ...event, action: 'review' };
      const role = this.policy.role(row.role);
      const decision = role
        ? checkBreakGlassReviewer(
            this.policy.context,
            role,
            row,
            reviewer,
            this.policy.isAdmin(reviewer),
          )
        : deny('break_glass_review', 'not_eligible', 'role_removed', 'the role no longer exists');
      if (!decision.allowed)
        return refuseDecision(tx, this.audit, 'review.refused', subject, decision);
      if (review.reviewedAt) {
        const error = new DomainError('invalid_state', 'this activation is already reviewed', {
          reason: 'already_reviewed',
        });
        return refuse(tx, this.audit, 'review.refused', event, error);
      }
      await auditDecision(tx, this.audit, subject, decision);
      const now = this.clock.now();
      Object.assign(review, {
        reviewedBy: reviewer.id,
        reviewedAt: now,
        comment: comment ?? null,
        nextEscalationAt: null,
      });
      await this.reviews.save(tx, review);
      await this.audit.append(tx, {
        type: 'break_glass.reviewed',
        actor: reviewer.id,
        requestId: row.id,
        data: {
          role: row.role,
          activatedBy: review.activatedBy,
          escalations: review.escalations,
          late: now.getTime() > review.dueAt.getTime(),
          ...(comment ? { comment } : {}),
        },
      });
      this.observer.breakGlass(row.role, 'reviewed');
      return toRequestView(row, await this.requests.approvals(tx, [row.id]), [review]);
    });
  }
}
