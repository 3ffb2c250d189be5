import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { Clock } from '#domain';
import {
  BreakGlassRepository,
  RequestRepository,
  SYSTEM_SCOPE,
  UnitOfWork,
  runAfterCommit,
} from '#persistence';
import type { AccessObserver } from '../observer.js';
import { PolicyState } from '../policy-state.js';
import { CLOCK, OBSERVER } from '../wiring/tokens.js';
import type { BreakGlassAlerts } from './alerts.js';
import { BREAK_GLASS_ALERTS } from './alerts.js';

const BATCH = 100;
/** For an activation whose role is gone from the config: keep escalating, hourly. */
const FALLBACK_EVERY_SECONDS = 3600;

/**
 * Escalates every break-glass activation whose review is overdue: an audit event, a metric and the
 * alert again, then the next escalation after `escalateEvery`, until someone reviews it. Rows are
 * claimed with SKIP LOCKED on PostgreSQL, so replicas escalate each one once.
 */
@Injectable()
export class EscalateBreakGlass {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly reviews: BreakGlassRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    @Inject(BREAK_GLASS_ALERTS) private readonly alerts: BreakGlassAlerts,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBSERVER) private readonly observer: AccessObserver,
  ) {}

  /** Returns how many escalations it sent. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await this.uow.run(async (tx) => {
        const now = this.clock.now();
        const due = await this.reviews.dueForEscalation(tx, now, BATCH);
        for (const review of due) {
          const breakGlass = this.policy.role(review.role)?.breakGlass;
          const every = breakGlass?.escalateEvery ?? FALLBACK_EVERY_SECONDS;
          review.escalations += 1;
          review.nextEscalationAt = new Date(now.getTime() + every * 1000);
          await this.reviews.save(tx, review);
          await this.audit.append(tx, {
            type: 'break_glass.escalated',
            actor: 'system',
            requestId: review.requestId,
            data: {
              role: review.role,
              activatedBy: review.activatedBy,
              escalations: review.escalations,
              reviewDueAt: review.dueAt.toISOString(),
            },
          });
          this.observer.breakGlass(review.role, 'escalated');
          if (!breakGlass) continue;
          const request = await this.requests.findVisible(tx, SYSTEM_SCOPE, review.requestId);
          runAfterCommit(tx, () =>
            this.alerts.send(
              {
                kind: 'escalated',
                requestId: review.requestId,
                role: review.role,
                activatedBy: review.activatedBy,
                justification: request?.justification ?? '',
                activatedAt: review.activatedAt.toISOString(),
                reviewDueAt: review.dueAt.toISOString(),
                escalations: review.escalations,
              },
              breakGlass,
            ),
          );
        }
        return due.length;
      });
      total += count;
      if (count < BATCH) return total;
    }
  }
}
