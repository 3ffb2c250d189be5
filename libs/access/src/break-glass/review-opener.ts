import { Inject, Injectable } from '@nestjs/common';
import type { AccessRequestRow, Tx } from '#persistence';
import { BreakGlassRepository, BreakGlassReviewRow, runAfterCommit } from '#persistence';
import { PolicyState } from '../policy-state.js';
import type { BreakGlassAlerts } from './alerts.js';
import { BREAK_GLASS_ALERTS } from './alerts.js';

/**
 * The review an activation owes: due `reviewWithin` after it, escalating from then on until someone
 * reviews it; the security team is alerted once the activation has committed.
 */
@Injectable()
export class ReviewOpener {
  constructor(
    private readonly reviews: BreakGlassRepository,
    private readonly policy: PolicyState,
    @Inject(BREAK_GLASS_ALERTS) private readonly alerts: BreakGlassAlerts,
  ) {}

  /** Opens the review of an activated request in its transaction; returns when it is due. */
  async open(tx: Tx, row: AccessRequestRow): Promise<Date> {
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
