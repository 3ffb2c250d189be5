import { Injectable } from '@nestjs/common';
import type { QueryResult } from 'pg';
import type { EntityManager } from 'typeorm';
import type { GrantStatus } from '#domain';
import { GrantRevocationRow } from './entities/grant-revocation.entity.js';
import { GrantRow } from './entities/grant.entity.js';
import { RevokedCredentialRow } from './entities/revoked-credential.entity.js';
import { entitiesFromRaw } from './hydrate.js';
import { postgresClientOf } from './postgres-client.js';
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

@Injectable()
export class GrantRepository {
  /** New active grants, each with its revocation owed at its expiry, in the caller's transaction. */
  async insert(tx: EntityManager, rows: GrantRow | readonly GrantRow[]): Promise<void> {
    const grants: readonly GrantRow[] = rows instanceof GrantRow ? [rows] : rows;
    if (grants.length === 0) return;
    // updateEntity(false): TypeORM would otherwise read defaults back into the caller's objects,
    // and on SQLite, with several rows, it pairs them up by position and swaps their ids.
    const insert = (target: typeof GrantRow | typeof GrantRevocationRow, values: object[]) =>
      tx.createQueryBuilder().insert().into(target).values(values).updateEntity(false).execute();
    await insert(GrantRow, [...grants]);
    await insert(
      GrantRevocationRow,
      grants.map((grant) => ({
        grantId: grant.id,
        dueAt: grant.expiresAt,
        expiresAt: grant.expiresAt,
      })),
    );
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
   * Active grants whose revocation is due (at their expiry, or at the next attempt after a failed
   * one), oldest first. On PostgreSQL the grants stay locked until commit and grants locked by
   * another worker, sweep or API call are skipped, so replicas share the work without doing any of
   * it twice. `skipLocked: false` waits for them instead.
   */
  async claimDue(
    tx: EntityManager,
    now: Date,
    limit: number,
    skipLocked = true,
  ): Promise<GrantRow[]> {
    if (tx.connection.options.type === 'postgres') {
      return entitiesFromRaw(
        tx,
        GrantRow,
        '',
        await claimDueOnPostgres(tx, now, limit, skipLocked),
      );
    }
    const query = tx
      .createQueryBuilder(GrantRow, 'g')
      .innerJoin(GrantRevocationRow, 'r', 'r.grant_id = g.id')
      .where('r.dueAt <= :now', { now: now.getTime() })
      .andWhere('g.endedAt IS NULL')
      .orderBy('r.dueAt', 'ASC')
      .limit(limit);
    // Up to a batch of rows at a time while a burst drains: hydrated without TypeORM's per-row cost.
    return entitiesFromRaw(tx, GrantRow, 'g_', await query.getRawMany());
  }

  /** Ends grants this transaction has claimed; returns how many it ended. */
  async endMany(tx: EntityManager, ids: readonly string[], ending: GrantEnding): Promise<number> {
    if (ids.length === 0) return 0;
    if (tx.connection.options.type === 'postgres') {
      // One statement over an array of ids, planned as one primary-key lookup per id in each
      // table. Statistics taken before a burst say the tables are small, and the planner would
      // read every grant per batch instead (quadratic in a burst): sequential scans are off for the
      // rest of this transaction. The guard `ended_at IS NULL` is `status = 'active'` (a grant has
      // an end exactly when it is no longer active).
      if (!tunedForBatches.has(tx)) await tx.query('SET LOCAL enable_seqscan = off');
      // A credential revoked before its expiry joins the revocation list until that expiry.
      const [{ ended }] = await tx.query<{ ended: number }[]>(
        `WITH ended AS (
           UPDATE grants SET status = $1, ended_at = $2, revoked_reason = $3, revoked_by = $4,
                  next_revocation_at = NULL
            WHERE id = ANY($5::varchar[]) AND ended_at IS NULL
           RETURNING id, expires_at),
         settled AS (DELETE FROM grant_revocations WHERE grant_id = ANY($5::varchar[])),
         listed AS (
           INSERT INTO revoked_credentials (grant_id, expires_at)
           SELECT id, expires_at FROM ended WHERE $1 = 'revoked' AND expires_at > $2
           ON CONFLICT DO NOTHING)
         SELECT count(*)::int AS ended FROM ended`,
        [
          ending.status,
          ending.endedAt.getTime(),
          ending.revokedReason ?? null,
          ending.revokedBy ?? null,
          ids,
        ],
      );
      return ended;
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
    await tx
      .createQueryBuilder()
      .delete()
      .from(GrantRevocationRow)
      .where('grant_id IN (:...ids)', { ids })
      .execute();
    if (ending.status === 'revoked') {
      await tx.query(
        `INSERT INTO revoked_credentials (grant_id, expires_at)
         SELECT id, expires_at FROM grants
          WHERE id IN (SELECT value FROM json_each(?)) AND status = 'revoked' AND expires_at > ?
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(ids), ending.endedAt.getTime()],
      );
    }
    return result.affected ?? 0;
  }

  /**
   * Moves a live grant's end from `from` to `to`, its owed revocation with it, in the caller's
   * transaction; `kid` signs its newest credential. Guarded: only a grant still active, still
   * ending at `from` and not yet past it at `now`, so an extension racing the grant's expiry or
   * revocation never revives it. Returns whether it moved.
   */
  async extend(
    tx: EntityManager,
    id: string,
    change: { from: Date; to: Date; kid: string; now: Date },
  ): Promise<boolean> {
    const moved = await tx
      .createQueryBuilder()
      .update(GrantRow)
      .set({ expiresAt: change.to, kid: change.kid })
      .where('id = :id', { id })
      .andWhere("status = 'active' AND ended_at IS NULL")
      .andWhere('expires_at = :from AND expires_at > :now', {
        from: change.from.getTime(),
        now: change.now.getTime(),
      })
      .execute();
    if ((moved.affected ?? 0) !== 1) return false;
    const owed = await tx.update(
      GrantRevocationRow,
      { grantId: id },
      { dueAt: change.to, expiresAt: change.to },
    );
    if ((owed.affected ?? 0) !== 1) throw new Error(`grant ${id} is active without its revocation`);
    return true;
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
    await tx.update(GrantRevocationRow, { grantId: id }, { dueAt: retryAt });
  }

  /**
   * The expiry buckets (each `bucketMs` long, named by their end) holding revocations owed in
   * (from, to]: expiries, and retries of failed ones. Bucketed by the database and read through
   * the due index over that range only, so its cost follows the horizon, not the active grants.
   */
  async owedBuckets(
    manager: EntityManager,
    from: Date,
    to: Date,
    bucketMs: number,
  ): Promise<number[]> {
    if (!Number.isSafeInteger(bucketMs) || bucketMs < 1) throw new Error('owedBuckets: bucketMs');
    const rows = await manager
      .createQueryBuilder(GrantRevocationRow, 'r')
      .select(`DISTINCT ((r.due_at + ${bucketMs - 1}) / ${bucketMs}) * ${bucketMs}`, 'bucket')
      .where('r.dueAt > :from AND r.dueAt <= :to', { from: from.getTime(), to: to.getTime() })
      .orderBy('bucket', 'ASC')
      .getRawMany<{ bucket: string | number }>();
    return rows.map((row) => Number(row.bucket));
  }

  /** Revocations owed in (from, to]: whether an expiry bucket still has work. */
  async countActiveExpiring(manager: EntityManager, from: Date, to: Date): Promise<number> {
    return manager
      .createQueryBuilder(GrantRevocationRow, 'r')
      .where('r.dueAt > :from AND r.dueAt <= :to', { from: from.getTime(), to: to.getTime() })
      .getCount();
  }

  /** Active grants past their expiry: the revocation backlog (overdue gauge, admin view). */
  async countOverdue(manager: EntityManager, now: Date): Promise<number> {
    return manager
      .createQueryBuilder(GrantRevocationRow, 'r')
      .where('r.expiresAt <= :now', { now: now.getTime() })
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
        .innerJoin(GrantRevocationRow, 'r', 'r.grant_id = g.id')
        .where("g.status = 'active'")
        .andWhere('g.role = :role', { role })
        .orderBy('g.id', 'ASC')
        .limit(limit),
      'g',
    ).getMany();
  }

  /** Credentials revoked before their expiry that have not expired yet: the revocation list. */
  async revokedUnexpired(manager: EntityManager, now: Date): Promise<string[]> {
    const rows = await manager
      .createQueryBuilder(RevokedCredentialRow, 'c')
      .select('c.grant_id', 'id')
      .where('c.expiresAt > :now', { now: now.getTime() })
      .orderBy('c.expiresAt', 'ASC')
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }

  /** Forgets revoked credentials past their expiry (their `exp` refuses them); returns how many. */
  async purgeExpiredRevocations(manager: EntityManager, now: Date): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .delete()
      .from(RevokedCredentialRow)
      .where('expires_at <= :now', { now: now.getTime() })
      .execute();
    return result.affected ?? 0;
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
        .innerJoin(GrantRevocationRow, 'r', 'r.grant_id = g.id')
        .andWhere('r.expiresAt <= :now', { now: filter.now.getTime() });
    }
    return newestFirstPage(query, 'issuedAt', (row) => row.issuedAt, filter);
  }
}

/** Transactions whose planner settings `claimDue` has already set (they last until its end). */
const tunedForBatches = new WeakSet<EntityManager>();

/**
 * The claim on PostgreSQL, in one round trip with the planner settings it needs: read the due index
 * (idx_grant_revocations_due) in order, look each grant up by its primary key, lock it and stop at
 * the limit. Right after a burst of mints the statistics still say "a few rows", and the planner
 * would otherwise sort every due row, or scan every grant, for each batch: quadratic at 100k due
 * together. Only the grant is locked: whoever ends a grant holds its row first, then its
 * revocation. Several statements need the simple query protocol, hence the two numbers inlined
 * (checked to be integers) and the driver's own client.
 */
async function claimDueOnPostgres(
  tx: EntityManager,
  now: Date,
  limit: number,
  skipLocked: boolean,
): Promise<Record<string, unknown>[]> {
  const dueBy = now.getTime();
  if (!Number.isSafeInteger(dueBy) || !Number.isSafeInteger(limit) || limit < 1) {
    throw new Error('claimDue: the instant and the limit must be integers');
  }
  const client = await postgresClientOf(tx);
  const results = (await client.query(
    `SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off;
     SET LOCAL enable_seqscan = off; SET LOCAL enable_material = off;
     SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off;
     SELECT g.* FROM grants g INNER JOIN grant_revocations r ON r.grant_id = g.id
      WHERE r.due_at <= ${dueBy} AND g.ended_at IS NULL
      ORDER BY r.due_at ASC LIMIT ${limit}
      FOR UPDATE OF g${skipLocked ? ' SKIP LOCKED' : ''}`,
  )) as unknown as QueryResult<Record<string, unknown>>[];
  tunedForBatches.add(tx);
  return results[results.length - 1].rows;
}
