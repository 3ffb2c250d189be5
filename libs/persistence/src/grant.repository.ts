import type { EntityManager } from 'typeorm';
import type { GrantStatus } from '#domain';
import { GrantRow } from './entities/grant.entity.js';
import type { Page, ReadScope } from './scope.js';
import { forUpdate, newestFirstPage } from './scope.js';

export interface GrantFilter {
  status?: GrantStatus;
  /** Only active grants past their expiry (revocation late or failing), as of `now`. */
  overdue?: boolean;
  now: Date;
  cursor?: string;
  limit: number;
}

export interface GrantEnding {
  status: Exclude<GrantStatus, 'active'>;
  endedAt: Date;
  revokedReason?: string;
  revokedBy?: string;
}

export class GrantRepository {
  async insert(tx: EntityManager, row: GrantRow): Promise<void> {
    await tx.insert(GrantRow, row);
  }

  /** A grant the scope may see; with `lock`, held until commit for a state change. */
  async findVisible(
    manager: EntityManager,
    scope: ReadScope,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<GrantRow | null> {
    const query = manager.createQueryBuilder(GrantRow, 'g').where('g.id = :id', { id });
    if (options.lock) forUpdate(query);
    if (!scope.admin) query.andWhere('g.recipient = :viewer', { viewer: scope.principalId });
    return query.getOne();
  }

  /** For introspection, where the token itself names the grant: no viewer scope applies. */
  async findByCredentialId(manager: EntityManager, jti: string): Promise<GrantRow | null> {
    return manager.findOne(GrantRow, { where: { id: jti } });
  }

  /**
   * Active grants past their expiry whose next revocation attempt is due, oldest first. On
   * PostgreSQL they stay locked until commit and rows locked by another worker or sweep are
   * skipped, so replicas share the work without doing any of it twice. `skipLocked: false` waits
   * for them instead.
   */
  async claimDue(
    tx: EntityManager,
    now: Date,
    limit: number,
    skipLocked = true,
  ): Promise<GrantRow[]> {
    const query = tx
      .createQueryBuilder(GrantRow, 'g')
      .where("g.status = 'active'")
      .andWhere('g.expiresAt <= :now', { now: now.getTime() })
      .andWhere('(g.nextRevocationAt IS NULL OR g.nextRevocationAt <= :now)', {
        now: now.getTime(),
      })
      .orderBy('g.expiresAt', 'ASC')
      .limit(limit);
    if (tx.connection.options.type === 'postgres') {
      forUpdate(query);
      if (skipLocked) query.setOnLocked('skip_locked');
      // Read the partial index (idx_grants_active_expiry) in order and stop at the limit. Right
      // after a burst of mints the statistics still say "a few rows", and the planner would sort
      // every due row for each batch instead: quadratic at 100k due together.
      await tx.query('SET LOCAL enable_sort = off');
      await tx.query('SET LOCAL enable_bitmapscan = off');
    }
    return query.getMany();
  }

  /** Ends grants this transaction has claimed; returns how many it ended. */
  async endMany(tx: EntityManager, ids: readonly string[], ending: GrantEnding): Promise<number> {
    if (ids.length === 0) return 0;
    if (tx.connection.options.type === 'postgres') {
      // One statement over an array of ids, planned as one primary-key lookup per id. Two things
      // would otherwise make it read every active grant per batch (quadratic in a burst, as
      // statistics taken before the burst say the table is small): a sequential scan, and the
      // partial index on active grants, which a `status = 'active'` guard would match. So
      // sequential scans are off for the rest of this transaction, and the guard is the
      // equivalent `ended_at IS NULL` (a grant has an end exactly when it is no longer active).
      await tx.query('SET LOCAL enable_seqscan = off');
      const [, affected] = await tx.query<[unknown, number]>(
        `UPDATE grants SET status = $1, ended_at = $2, revoked_reason = $3, revoked_by = $4,
                next_revocation_at = NULL
          WHERE id = ANY($5::varchar[]) AND ended_at IS NULL`,
        [
          ending.status,
          ending.endedAt.getTime(),
          ending.revokedReason ?? null,
          ending.revokedBy ?? null,
          ids,
        ],
      );
      return affected;
    }
    const result = await tx
      .createQueryBuilder()
      .update(GrantRow)
      .set({
        status: ending.status,
        endedAt: ending.endedAt,
        revokedReason: ending.revokedReason ?? null,
        revokedBy: ending.revokedBy ?? null,
        nextRevocationAt: null,
      })
      .where('id IN (:...ids)', { ids })
      .andWhere("status = 'active'")
      .execute();
    return result.affected ?? 0;
  }

  async recordRevocationFailure(
    tx: EntityManager,
    id: string,
    failures: number,
    retryAt: Date,
  ): Promise<void> {
    await tx.update(
      GrantRow,
      { id, status: 'active' },
      { revocationFailures: failures, nextRevocationAt: retryAt },
    );
  }

  /** Expiry instants of active grants still to come, for re-creating lost jobs or timers. */
  async futureExpiries(manager: EntityManager, now: Date): Promise<Date[]> {
    const rows = await manager
      .createQueryBuilder(GrantRow, 'g')
      .select('DISTINCT g.expires_at', 'at')
      .where("g.status = 'active'")
      .andWhere('g.expiresAt > :now', { now: now.getTime() })
      .getRawMany<{ at: string | number }>();
    return rows.map((row) => new Date(Number(row.at)));
  }

  /** Active grants expiring in (from, to]: whether an expiry bucket still has work. */
  async countActiveExpiring(manager: EntityManager, from: Date, to: Date): Promise<number> {
    return manager
      .createQueryBuilder(GrantRow, 'g')
      .where("g.status = 'active'")
      .andWhere('g.expiresAt > :from AND g.expiresAt <= :to', {
        from: from.getTime(),
        to: to.getTime(),
      })
      .getCount();
  }

  /** Active grants past their expiry: the revocation backlog (overdue gauge, admin view). */
  async countOverdue(manager: EntityManager, now: Date): Promise<number> {
    return manager
      .createQueryBuilder(GrantRow, 'g')
      .where("g.status = 'active'")
      .andWhere('g.expiresAt <= :now', { now: now.getTime() })
      .getCount();
  }

  /**
   * Active grants of a role, locked: a batch to revoke on a policy reload. It waits for rows
   * another transaction holds, so that none is left active behind a concurrent ending.
   */
  async activeOfRole(tx: EntityManager, role: string, limit: number): Promise<GrantRow[]> {
    return forUpdate(
      tx
        .createQueryBuilder(GrantRow, 'g')
        .where("g.status = 'active'")
        .andWhere('g.role = :role', { role })
        .orderBy('g.id', 'ASC')
        .limit(limit),
    ).getMany();
  }

  /** Credentials revoked before their expiry that have not expired yet: the revocation list. */
  async revokedUnexpired(manager: EntityManager, now: Date): Promise<string[]> {
    const rows = await manager
      .createQueryBuilder(GrantRow, 'g')
      .select('g.id', 'id')
      .where("g.status = 'revoked'")
      .andWhere('g.expiresAt > :now', { now: now.getTime() })
      .orderBy('g.expiresAt', 'ASC')
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }

  async list(
    manager: EntityManager,
    scope: ReadScope,
    filter: GrantFilter,
  ): Promise<Page<GrantRow>> {
    const query = manager.createQueryBuilder(GrantRow, 'g');
    if (!scope.admin) query.andWhere('g.recipient = :viewer', { viewer: scope.principalId });
    if (filter.status) query.andWhere('g.status = :status', { status: filter.status });
    if (filter.overdue) {
      query
        .andWhere("g.status = 'active'")
        .andWhere('g.expiresAt <= :now', { now: filter.now.getTime() });
    }
    return newestFirstPage(query, 'issuedAt', (row) => row.issuedAt, filter);
  }
}
