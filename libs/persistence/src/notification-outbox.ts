import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { ADVISORY_LOCKS } from './advisory-locks.js';
import { NotificationRow } from './entities/notification.entity.js';
import { forUpdate } from './scope.js';

/** SQLite refuses statements with too many terms ("expression tree too deep") past ~1000 rows. */
const INSERT_BATCH = 200;

export interface OutboxCounts {
  /** Owed and not given up. */
  pending: number;
  /** Owed, and failed at least `failingAfter` times already. */
  failing: number;
  /** Given up on a permanent error. */
  failed: number;
}

/**
 * The notification outbox's reads and writes (docs/notifications.md). Rows are inserted in the
 * caller's transaction; the dispatcher claims due ones under a lease, then records each outcome in
 * one guarded statement.
 */
@Injectable()
export class NotificationOutbox {
  /** Inserts rows; one whose idempotency key is already there is skipped, never an error. */
  async insert(tx: EntityManager, rows: readonly NotificationRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      await tx
        .createQueryBuilder()
        .insert()
        .into(NotificationRow)
        .values(rows.slice(i, i + INSERT_BATCH))
        .orIgnore()
        .execute();
    }
  }

  /**
   * Up to `limit` due rows, leased until `leaseUntil`: nobody else claims them until then, and a
   * dispatcher that dies holding them lets them fall due again when the lease lapses. A row is
   * not claimed while another row for the same request, channel and recipient is leased, so a
   * Slack message is never posted by two dispatchers at once. On PostgreSQL claims run one at a
   * time (a transaction advisory lock: without it two claims could each take one row of the same
   * target before either lease is visible) and skip rows being recorded (`SKIP LOCKED`); SQLite
   * has one writer.
   */
  async claim(
    tx: EntityManager,
    now: Date,
    leaseUntil: Date,
    limit: number,
  ): Promise<NotificationRow[]> {
    if (tx.connection.options.type === 'postgres') {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.notificationClaim]);
    }
    const at = now.getTime();
    const query = tx
      .createQueryBuilder(NotificationRow, 'o')
      .where('o.next_attempt_at <= :at', { at })
      .andWhere('(o.lease_until IS NULL OR o.lease_until <= :at)')
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM notification_outbox b
           WHERE b.request_id = o.request_id AND b.channel = o.channel
             AND b.recipient = o.recipient AND b.id <> o.id AND b.lease_until > :at)`,
      )
      .orderBy('o.next_attempt_at', 'ASC')
      .addOrderBy('o.created_at', 'ASC')
      .limit(limit);
    forUpdate(query);
    if (tx.connection.options.type === 'postgres') query.setOnLocked('skip_locked');
    const rows = await query.getMany();
    if (rows.length === 0) return [];
    await tx
      .createQueryBuilder()
      .update(NotificationRow)
      .set({ leaseUntil, attempts: () => 'attempts + 1' })
      .where({ id: In(rows.map((row) => row.id)) })
      .execute();
    for (const row of rows) Object.assign(row, { leaseUntil, attempts: row.attempts + 1 });
    return rows;
  }

  /** Recorded as sent: one statement, the only window in which a crash sends a message twice. */
  async markSent(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.update(
      NotificationRow,
      { id },
      { sentAt: at, nextAttemptAt: null, leaseUntil: null, lastError: null },
    );
  }

  /** A transient failure: due again at `retryAt`. */
  async markRetry(manager: EntityManager, id: string, retryAt: Date, error: string): Promise<void> {
    await manager.update(
      NotificationRow,
      { id },
      { nextAttemptAt: retryAt, leaseUntil: null, lastError: error.slice(0, 128) },
    );
  }

  /** A permanent failure (an unknown Slack user, no address): given up, and kept as such. */
  async markFailed(manager: EntityManager, id: string, at: Date, error: string): Promise<void> {
    await manager.update(
      NotificationRow,
      { id },
      { failedAt: at, nextAttemptAt: null, leaseUntil: null, lastError: error.slice(0, 128) },
    );
  }

  /**
   * The Slack users sent an approver DM about each of these requests (whose DMs later changes
   * update), in one read per 500 requests: an expiry batch ends thousands of grants at once.
   */
  async approverDms(
    tx: EntityManager,
    requestIds: readonly string[],
  ): Promise<Map<string, string[]>> {
    const ids = [...new Set(requestIds)];
    const dms = new Map<string, string[]>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await tx
        .createQueryBuilder(NotificationRow, 'o')
        .select(['o.requestId', 'o.recipient'])
        .distinct(true)
        .where('o.request_id IN (:...ids)', { ids: ids.slice(i, i + 500) })
        .andWhere("o.audience = 'approver' AND o.channel = 'slack-dm'")
        .orderBy('o.recipient', 'ASC')
        .getMany();
      for (const row of rows)
        dms.set(row.requestId, [...(dms.get(row.requestId) ?? []), row.recipient]);
    }
    return dms;
  }

  /** What is owed, failing and given up, for the metrics. */
  async counts(manager: EntityManager, failingAfter: number): Promise<OutboxCounts> {
    const param = manager.connection.options.type === 'postgres' ? '$1' : '?';
    const [row] = await manager.query<
      { pending: string | number; failing: string | number; failed: string | number }[]
    >(
      `SELECT
         (SELECT count(*) FROM notification_outbox WHERE next_attempt_at IS NOT NULL) AS pending,
         (SELECT count(*) FROM notification_outbox
           WHERE next_attempt_at IS NOT NULL AND attempts >= ${param}) AS failing,
         (SELECT count(*) FROM notification_outbox WHERE failed_at IS NOT NULL) AS failed`,
      [failingAfter],
    );
    return {
      pending: Number(row.pending),
      failing: Number(row.failing),
      failed: Number(row.failed),
    };
  }
}
