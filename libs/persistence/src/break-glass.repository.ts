import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { BreakGlassReviewRow } from './entities/break-glass-review.entity.js';
import { forUpdate } from './scope.js';

@Injectable()
export class BreakGlassRepository {
  async insert(tx: EntityManager, row: BreakGlassReviewRow): Promise<void> {
    await tx.insert(BreakGlassReviewRow, row);
  }

  async forRequests(
    manager: EntityManager,
    requestIds: readonly string[],
  ): Promise<BreakGlassReviewRow[]> {
    if (requestIds.length === 0) return [];
    return manager.find(BreakGlassReviewRow, { where: { requestId: In([...requestIds]) } });
  }

  /** Locked on PostgreSQL, so that a review and an escalation of it run one after the other. */
  async lock(tx: EntityManager, requestId: string): Promise<BreakGlassReviewRow | null> {
    return forUpdate(
      tx
        .createQueryBuilder(BreakGlassReviewRow, 'b')
        .where('b.requestId = :requestId', { requestId }),
    ).getOne();
  }

  /**
   * Unreviewed activations whose next escalation is due, locked; rows another replica holds are
   * skipped (PostgreSQL), so each escalation is sent once.
   */
  async dueForEscalation(
    tx: EntityManager,
    now: Date,
    limit: number,
  ): Promise<BreakGlassReviewRow[]> {
    const query = tx
      .createQueryBuilder(BreakGlassReviewRow, 'b')
      .where('b.nextEscalationAt <= :now', { now: now.getTime() })
      .orderBy('b.nextEscalationAt', 'ASC')
      .limit(limit);
    if (tx.connection.options.type === 'postgres') forUpdate(query).setOnLocked('skip_locked');
    return query.getMany();
  }

  async save(tx: EntityManager, row: BreakGlassReviewRow): Promise<void> {
    await tx.update(
      BreakGlassReviewRow,
      { requestId: row.requestId },
      {
        nextEscalationAt: row.nextEscalationAt,
        escalations: row.escalations,
        reviewedBy: row.reviewedBy,
        reviewedAt: row.reviewedAt,
        comment: row.comment,
      },
    );
  }

  /** Activations still waiting for their review: the admin view and the metrics gauge. */
  async countUnreviewed(manager: EntityManager): Promise<number> {
    return manager
      .createQueryBuilder(BreakGlassReviewRow, 'b')
      .where('b.reviewedAt IS NULL')
      .getCount();
  }
}
