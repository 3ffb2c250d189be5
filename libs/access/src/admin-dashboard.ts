import { Inject, Injectable } from '@nestjs/common';
import type { Clock, Principal } from '#domain';
import type { DashboardCounts, HourCounts, LagBucket } from '#persistence';
import {
  AdminDashboardRepository,
  BreakGlassRepository,
  RequestRepository,
  UnitOfWork,
} from '#persistence';
import { PolicyState } from './policy-state.js';
import type { ListPage } from './queries.js';
import type { RequestView } from './views.js';
import { toRequestView } from './views.js';
import { CLOCK } from './wiring/tokens.js';

/** The window of the dashboard's charts. */
export const DASHBOARD_HOURS = 24;

export interface AdminDashboardView {
  /** The instant every figure was read at. */
  at: string;
  counts: DashboardCounts;
  /** The last DASHBOARD_HOURS clock hours, oldest first; the last one is still running. */
  hours: HourCounts[];
  /** The latest expiries of the same window, by how late their revocation came. */
  lag: LagBucket[];
}

/**
 * What the security team's overview shows at a glance (docs/api.md §6). Callers have already
 * admitted the principal to the admin pages (`AccessQueries.admitsToAdminPages`); the repository
 * refuses any scope that is not an admin's all the same.
 */
@Injectable()
export class AdminDashboard {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly dashboard: AdminDashboardRepository,
    private readonly requests: RequestRepository,
    private readonly reviews: BreakGlassRepository,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async overview(principal: Principal): Promise<AdminDashboardView> {
    const scope = this.policy.scopeFor(principal);
    const now = this.clock.now();
    const since = new Date(now.getTime() - DASHBOARD_HOURS * 3_600_000);
    return this.uow.read(async (db) => {
      const [counts, hours, lag] = await Promise.all([
        this.dashboard.counts(db, scope, now),
        this.dashboard.hourly(db, scope, now, DASHBOARD_HOURS),
        this.dashboard.lagHistogram(db, scope, since),
      ]);
      return { at: now.toISOString(), counts, hours, lag };
    });
  }

  /** Break-glass activations still waiting for their review, newest first. */
  async unreviewedBreakGlass(
    principal: Principal,
    page: { cursor?: string; limit: number },
  ): Promise<ListPage<RequestView>> {
    const scope = this.policy.scopeFor(principal);
    return this.uow.read(async (db) => {
      const rows = await this.dashboard.unreviewedBreakGlass(db, scope, page);
      const ids = rows.items.map((row) => row.id);
      const [approvals, reviews] = await Promise.all([
        this.requests.approvals(db, ids),
        this.reviews.forRequests(db, ids),
      ]);
      return { ...rows, items: rows.items.map((row) => toRequestView(row, approvals, reviews)) };
    });
  }
}
