import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { Clock, RoleDefinition } from '#domain';
import { findRole } from '#domain';
import type { AccessRequestRow, GrantWarningTime, RequestFollowUpTimes, Tx } from '#persistence';
import { FollowUpRepository, UnitOfWork } from '#persistence';
import type { AccessObserver } from './observer.js';
import { PolicyState } from './policy-state.js';
import { CLOCK, OBSERVER } from './wiring/tokens.js';

const BATCH = 200;
/** Sent notifications are kept this long, then purged (docs/notifications.md). */
export const SENT_NOTIFICATIONS_KEPT_MS = 7 * 24 * 3600 * 1000;

export interface FollowUpCounts {
  reminded: number;
  escalated: number;
  warned: number;
  purged: number;
}

/**
 * The follow-ups the database says are due (docs/notifications.md): reminders of pending requests'
 * approvers (`remindAfter`, once per interval; after downtime, one for the latest interval, not
 * one per missed one), their escalation (`escalateAfter`: the role's `escalateTo` become approvers
 * of the request, audited as `request.escalated`), warnings that a grant ends soon (`warnBefore`,
 * once per end), and the purge of notifications sent a week ago. Each is recorded by a guarded
 * write in the transaction that owes its notifications to the outbox, so none is sent twice
 * however often, or on however many replicas, this runs.
 */
@Injectable()
export class FollowUps {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly followUps: FollowUpRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBSERVER) private readonly observer: AccessObserver,
  ) {}

  async sweep(): Promise<FollowUpCounts> {
    const counts: FollowUpCounts = { reminded: 0, escalated: 0, warned: 0, purged: 0 };
    await this.followRequests(counts);
    await this.warnOfEnds(counts);
    for (;;) {
      const cutoff = new Date(this.clock.now().getTime() - SENT_NOTIFICATIONS_KEPT_MS);
      const purged = await this.uow.run((tx) => this.followUps.purgeSent(tx, cutoff, 1000));
      counts.purged += purged;
      if (purged < 1000) return counts;
    }
  }

  private async followRequests(counts: FollowUpCounts): Promise<void> {
    // One policy for the whole sweep: a reload between batches must not leave rows due by the old
    // policy's times unhandled by the new one's roles, which would make every batch full forever.
    const policy = this.policy.policy;
    const times = policy.roles.flatMap(requestTimes);
    for (;;) {
      const due = await this.uow.run(async (tx) => {
        const now = this.clock.now();
        const rows = await this.followUps.dueRequests(tx, times, now, BATCH);
        for (const row of rows) {
          const role = findRole(policy, row.role);
          if (role) await this.followUp(tx, row, role, now, counts);
        }
        return rows.length;
      });
      if (due < BATCH) return;
    }
  }

  private async followUp(
    tx: Tx,
    row: AccessRequestRow,
    role: RoleDefinition,
    now: Date,
    counts: FollowUpCounts,
  ): Promise<void> {
    const age = now.getTime() - row.createdAt.getTime();
    const escalation = role.escalation;
    if (escalation && row.escalatedAt === null && age >= escalation.after * 1000) {
      if (await this.followUps.markEscalated(tx, row.id, now)) {
        row.escalatedAt = now;
        await this.audit.append(tx, {
          type: 'request.escalated',
          actor: 'system',
          requestId: row.id,
          data: { after: escalation.after, escalateTo: escalation.to },
        });
        this.observer.requestChanged(tx, { requestId: row.id, kind: 'escalated', actor: 'system' });
        counts.escalated += 1;
      }
    }
    if (role.remindAfter === undefined) return;
    const round = Math.floor(age / (role.remindAfter * 1000));
    if (round > row.reminders && (await this.followUps.markReminded(tx, row.id, round))) {
      this.observer.requestChanged(tx, {
        requestId: row.id,
        kind: 'reminded',
        actor: 'system',
        occasion: `round ${round}`,
      });
      counts.reminded += 1;
    }
  }

  private async warnOfEnds(counts: FollowUpCounts): Promise<void> {
    const times: GrantWarningTime[] = this.policy.policy.roles.flatMap((role) =>
      role.warnBefore === undefined
        ? []
        : [{ role: role.name, warnBeforeMs: role.warnBefore * 1000 }],
    );
    for (;;) {
      const due = await this.uow.run(async (tx) => {
        const grants = await this.followUps.grantsEndingSoon(tx, times, this.clock.now(), BATCH);
        for (const grant of grants) {
          if (!(await this.followUps.markWarned(tx, grant.id, grant.expiresAt))) continue;
          this.observer.grantEnding(tx, { grant, endsAt: grant.expiresAt });
          counts.warned += 1;
        }
        return grants.length;
      });
      if (due < BATCH) return;
    }
  }
}

function requestTimes(role: RoleDefinition): RequestFollowUpTimes[] {
  if (role.remindAfter === undefined && role.escalation === undefined) return [];
  return [
    {
      role: role.name,
      ...(role.remindAfter === undefined ? {} : { remindAfterMs: role.remindAfter * 1000 }),
      ...(role.escalation ? { escalateAfterMs: role.escalation.after * 1000 } : {}),
    },
  ];
}
