import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Brackets, IsNull } from 'typeorm';
import { AccessRequestRow } from './entities/access-request.entity.js';
import { GrantRow } from './entities/grant.entity.js';
import { NotificationRow } from './entities/notification.entity.js';
import { forUpdate } from './scope.js';

/** A role's follow-up times, in milliseconds (docs/notifications.md). */
export interface RequestFollowUpTimes {
  role: string;
  remindAfterMs?: number;
  escalateAfterMs?: number;
}

export interface GrantWarningTime {
  role: string;
  warnBeforeMs: number;
}

/**
 * The follow-up task's reads and writes: pending requests owed a reminder or an escalation, grants
 * owed a warning that they end soon, and the purge of long-sent notifications. What is due is
 * decided in SQL per role, so a request or grant not due is never read; each write is guarded, so
 * two replicas whose turns overlap act once.
 */
@Injectable()
export class FollowUpRepository {
  /**
   * Pending requests (not break-glass) with a reminder round or an escalation due at `now`, oldest
   * first, locked; on PostgreSQL rows another transaction holds are skipped.
   */
  async dueRequests(
    tx: EntityManager,
    roles: readonly RequestFollowUpTimes[],
    now: Date,
    limit: number,
  ): Promise<AccessRequestRow[]> {
    if (roles.length === 0) return [];
    const query = tx
      .createQueryBuilder(AccessRequestRow, 'r')
      .where("r.status = 'pending'")
      .andWhere('r.breakGlass = :bg', { bg: false })
      .andWhere(
        new Brackets((due) => {
          roles.forEach((times, i) => {
            const conditions: string[] = [];
            if (times.remindAfterMs !== undefined) {
              conditions.push(
                `r.created_at + (r.reminders + 1) * CAST(:remind${i} AS bigint) <= :now`,
              );
            }
            if (times.escalateAfterMs !== undefined) {
              conditions.push(
                `(r.escalated_at IS NULL AND r.created_at + CAST(:escalate${i} AS bigint) <= :now)`,
              );
            }
            due.orWhere(`(r.role = :role${i} AND (${conditions.join(' OR ')}))`, {
              [`role${i}`]: times.role,
              ...(times.remindAfterMs === undefined ? {} : { [`remind${i}`]: times.remindAfterMs }),
              ...(times.escalateAfterMs === undefined
                ? {}
                : { [`escalate${i}`]: times.escalateAfterMs }),
            });
          });
        }),
      )
      .setParameter('now', now.getTime())
      .orderBy('r.createdAt', 'ASC')
      .limit(limit);
    forUpdate(query);
    if (tx.connection.options.type === 'postgres') query.setOnLocked('skip_locked');
    return query.getMany();
  }

  /** Records reminder round `round` of a pending request; false if it was recorded already. */
  async markReminded(tx: EntityManager, id: string, round: number): Promise<boolean> {
    const result = await tx
      .createQueryBuilder()
      .update(AccessRequestRow)
      .set({ reminders: round })
      .where("id = :id AND status = 'pending' AND reminders < :round", { id, round })
      .execute();
    return (result.affected ?? 0) === 1;
  }

  /** Escalates a pending request once; false if it was escalated already or is no longer pending. */
  async markEscalated(tx: EntityManager, id: string, at: Date): Promise<boolean> {
    const result = await tx.update(
      AccessRequestRow,
      { id, status: 'pending', escalatedAt: IsNull() },
      { escalatedAt: at },
    );
    return (result.affected ?? 0) === 1;
  }

  /**
   * Active grants whose role warns `warnBeforeMs` before the end, within that of their end at
   * `now`, not warned about for this end yet, and which lasted longer than that (a shorter grant's
   * issue notice already said when it ends). Read by the owed revocations' expiry index.
   */
  async grantsEndingSoon(
    manager: EntityManager,
    roles: readonly GrantWarningTime[],
    now: Date,
    limit: number,
  ): Promise<GrantRow[]> {
    if (roles.length === 0) return [];
    const horizon = Math.max(...roles.map((role) => role.warnBeforeMs));
    return manager
      .createQueryBuilder(GrantRow, 'g')
      .innerJoin('grant_revocations', 'o', 'o.grant_id = g.id')
      .where('o.expires_at > :now AND o.expires_at <= :until', {
        now: now.getTime(),
        until: now.getTime() + horizon,
      })
      .andWhere("g.status = 'active'")
      .andWhere(
        new Brackets((due) => {
          roles.forEach((times, i) => {
            due.orWhere(
              `(g.role = :role${i} AND o.expires_at - CAST(:warn${i} AS bigint) <= :now
                AND o.expires_at - CAST(:warn${i} AS bigint) > g.issued_at)`,
              { [`role${i}`]: times.role, [`warn${i}`]: times.warnBeforeMs },
            );
          });
        }),
      )
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM grant_end_warnings w
          WHERE w.grant_id = g.id AND w.expires_at = o.expires_at)`,
      )
      .orderBy('o.expires_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Records the warning of a grant's end; false when it was recorded already (another replica). */
  async markWarned(tx: EntityManager, grantId: string, expiresAt: Date): Promise<boolean> {
    const [a, b] = tx.connection.options.type === 'postgres' ? ['$1', '$2'] : ['?', '?'];
    const rows = await tx.query<unknown[]>(
      `INSERT INTO grant_end_warnings (grant_id, expires_at) VALUES (${a}, ${b})
        ON CONFLICT DO NOTHING RETURNING grant_id`,
      [grantId, expiresAt.getTime()],
    );
    return rows.length === 1;
  }

  /** Deletes up to `limit` notifications sent before `cutoff`; returns how many. */
  async purgeSent(manager: EntityManager, cutoff: Date, limit: number): Promise<number> {
    const old = await manager
      .createQueryBuilder(NotificationRow, 'o')
      .select('o.id')
      .where('o.sent_at IS NOT NULL AND o.sent_at < :cutoff', { cutoff: cutoff.getTime() })
      .orderBy('o.sent_at', 'ASC')
      .limit(limit)
      .getMany();
    if (old.length === 0) return 0;
    await manager
      .createQueryBuilder()
      .delete()
      .from(NotificationRow)
      .whereInIds(old.map((row) => row.id))
      .execute();
    return old.length;
  }
}
