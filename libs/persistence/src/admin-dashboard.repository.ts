import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccessRequestRow } from './entities/access-request.entity.js';
import { BreakGlassReviewRow } from './entities/break-glass-review.entity.js';
import { GrantRevocationRow } from './entities/grant-revocation.entity.js';
import type { Page, ReadScope } from './scope.js';
import { newestFirstPage } from './scope.js';

export const HOUR_MS = 3_600_000;

/**
 * Above this many active grants PostgreSQL's own row estimate is shown instead of an exact count:
 * counting a million owed revocations reads their whole primary-key index on every page load.
 */
export const ACTIVE_ESTIMATE_ABOVE = 100_000;

/** Upper bounds (ms, inclusive) of the lag histogram's buckets; the last bucket is open-ended. */
export const LAG_BOUNDS_MS = [100, 1_000, 10_000, 60_000, 600_000] as const;

/** The lag histogram reads at most this many of the latest expiries. */
export const LAG_SAMPLE = 1_000;

export interface ActiveCount {
  count: number;
  /** PostgreSQL's statistics (`pg_class.reltuples`), not a count. */
  estimated: boolean;
}

export interface DashboardCounts {
  pending: number;
  active: ActiveCount;
  overdue: number;
  unreviewedBreakGlass: number;
}

/** One hour of the chart: grants issued in it, and ended in it (by expiry or revocation). */
export interface HourCounts {
  start: Date;
  issued: number;
  expired: number;
  revoked: number;
}

/** Expiries whose lag fell in (previous bound, `upToMs`]; `upToMs` null for the open bucket. */
export interface LagBucket {
  upToMs: number | null;
  count: number;
}

/**
 * The security team's aggregate reads (docs/api.md §6, docs/performance.md): every count and
 * chart is computed by the database over an index, never by loading rows. Admin scope only.
 */
@Injectable()
export class AdminDashboardRepository {
  async counts(manager: EntityManager, scope: ReadScope, now: Date): Promise<DashboardCounts> {
    requireAdmin(scope);
    const [pending, active, overdue, unreviewedBreakGlass] = await Promise.all([
      // idx_requests_status_deadline (status, deadline_at).
      manager.createQueryBuilder(AccessRequestRow, 'r').where("r.status = 'pending'").getCount(),
      this.activeCount(manager),
      // idx_grant_revocations_expires: only the overdue rows are read.
      manager
        .createQueryBuilder(GrantRevocationRow, 'o')
        .where('o.expiresAt <= :now', { now: now.getTime() })
        .getCount(),
      // idx_break_glass_escalation: unreviewed exactly while a next escalation is set.
      manager
        .createQueryBuilder(BreakGlassReviewRow, 'b')
        .where('b.nextEscalationAt IS NOT NULL')
        .getCount(),
    ]);
    return { pending, active, overdue, unreviewedBreakGlass };
  }

  /**
   * One row per active grant lives in grant_revocations. On PostgreSQL, when its statistics say
   * the table is large, their estimate is shown (kept by autovacuum and ANALYZE); an exact count
   * below that, and always on SQLite, whose installs are small.
   */
  private async activeCount(manager: EntityManager): Promise<ActiveCount> {
    if (manager.connection.options.type === 'postgres') {
      const [row] = await manager.query<{ estimate: string }[]>(
        "SELECT reltuples::bigint AS estimate FROM pg_class WHERE oid = 'grant_revocations'::regclass",
      );
      const estimate = Number(row?.estimate ?? -1);
      if (estimate > ACTIVE_ESTIMATE_ABOVE) return { count: estimate, estimated: true };
    }
    const count = await manager.createQueryBuilder(GrantRevocationRow, 'a').getCount();
    return { count, estimated: false };
  }

  /**
   * Grants issued and ended in each of the `hours` clock hours up to `now` (the last one running),
   * oldest first. Issued from idx_grants_issued, ended from idx_audit_grant_ends (the end events):
   * both an index range grouped by the database.
   */
  async hourly(
    manager: EntityManager,
    scope: ReadScope,
    now: Date,
    hours: number,
  ): Promise<HourCounts[]> {
    requireAdmin(scope);
    if (!Number.isSafeInteger(hours) || hours < 1 || hours > 24 * 31) {
      throw new Error('hourly: hours must be a whole number of hours');
    }
    // Inlined, checked integers: PostgreSQL types `bigint - $1` parameters badly, SQLite not at all.
    const from = (Math.floor(now.getTime() / HOUR_MS) - (hours - 1)) * HOUR_MS;
    const to = now.getTime() + 1;
    const slot = (column: string) => `(${column} - ${from}) / ${HOUR_MS}`;
    const [issued, ended] = await Promise.all([
      manager.query<{ slot: string | number; n: string | number }[]>(
        `SELECT ${slot('issued_at')} AS slot, COUNT(*) AS n FROM grants
          WHERE issued_at >= ${from} AND issued_at < ${to} GROUP BY ${slot('issued_at')}`,
      ),
      manager.query<{ slot: string | number; type: string; n: string | number }[]>(
        `SELECT ${slot('at')} AS slot, type, COUNT(*) AS n FROM audit_events
          WHERE type IN ('grant.expired', 'grant.revoked') AND at >= ${from} AND at < ${to}
          GROUP BY ${slot('at')}, type`,
      ),
    ]);
    const result: HourCounts[] = Array.from({ length: hours }, (_, i) => ({
      start: new Date(from + i * HOUR_MS),
      issued: 0,
      expired: 0,
      revoked: 0,
    }));
    for (const row of issued) result[Number(row.slot)].issued = Number(row.n);
    for (const row of ended) {
      result[Number(row.slot)][row.type === 'grant.expired' ? 'expired' : 'revoked'] = Number(
        row.n,
      );
    }
    return result;
  }

  /**
   * How late the latest expiries (at most LAG_SAMPLE, none before `since`) ended their grants,
   * bucketed by the database from the `lagMs` each grant.expired event records. Read through
   * idx_audit_type (type, seq) newest first, so its cost is the sample's, whatever the log's size.
   */
  async lagHistogram(manager: EntityManager, scope: ReadScope, since: Date): Promise<LagBucket[]> {
    requireAdmin(scope);
    const postgres = manager.connection.options.type === 'postgres';
    const lag = postgres
      ? "CAST(CAST(data AS json) ->> 'lagMs' AS bigint)"
      : "CAST(json_extract(data, '$.lagMs') AS INTEGER)";
    const bucket = LAG_BOUNDS_MS.map((bound, i) => `WHEN lag <= ${bound} THEN ${i}`).join(' ');
    const rows = await manager.query<{ bucket: string | number; n: string | number }[]>(
      `SELECT CASE ${bucket} ELSE ${LAG_BOUNDS_MS.length} END AS bucket, COUNT(*) AS n
         FROM (SELECT ${lag} AS lag FROM audit_events
                WHERE type = 'grant.expired' AND at >= ${since.getTime()}
                ORDER BY seq DESC LIMIT ${LAG_SAMPLE}) latest
        WHERE lag IS NOT NULL
        GROUP BY CASE ${bucket} ELSE ${LAG_BOUNDS_MS.length} END`,
    );
    const buckets: LagBucket[] = [...LAG_BOUNDS_MS, null].map((upToMs) => ({ upToMs, count: 0 }));
    for (const row of rows) buckets[Number(row.bucket)].count = Number(row.n);
    return buckets;
  }

  /** Break-glass activations still waiting for their review, newest first, by cursor. */
  async unreviewedBreakGlass(
    manager: EntityManager,
    scope: ReadScope,
    page: { cursor?: string; limit: number },
  ): Promise<Page<AccessRequestRow>> {
    requireAdmin(scope);
    const query = manager
      .createQueryBuilder(AccessRequestRow, 'r')
      .innerJoin(BreakGlassReviewRow, 'b', 'b.request_id = r.id')
      .where('b.nextEscalationAt IS NOT NULL');
    return newestFirstPage(query, 'createdAt', (row) => row.createdAt, page);
  }
}

/** Aggregates over everyone's rows: a caller without admin scope is a bug, not a refusal. */
function requireAdmin(scope: ReadScope): void {
  if (!scope.admin) throw new Error('admin dashboard reads need an admin scope');
}
