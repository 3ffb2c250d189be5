import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { Clock, Principal, RequestStatus, GrantStatus } from '#domain';
import { canSeeGrant, canSeeRequest, checkAdmin } from '#domain';
import { BreakGlassRepository, GrantRepository, RequestRepository, UnitOfWork } from '#persistence';
import { grantNotFound, refuseDecision, requestNotFound } from './audit-helpers.js';
import { PolicyState } from './policy-state.js';
import type { GrantView, RequestView } from './views.js';
import { toGrantView, toRequestView } from './views.js';
import { CLOCK } from './wiring/tokens.js';

export interface ListPage<T> {
  items: T[];
  nextCursor?: string;
}

export interface RequestListQuery {
  status?: RequestStatus;
  role?: string;
  mine?: boolean;
  toApprove?: boolean;
  breakGlass?: boolean;
  unreviewed?: boolean;
  cursor?: string;
  limit: number;
}

/** Reads, each scoped to what the principal may see: what it may not see does not exist (404). */
@Injectable()
export class AccessQueries {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly grants: GrantRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly reviews: BreakGlassRepository,
  ) {}

  async request(principal: Principal, id: string): Promise<RequestView> {
    return this.uow.read(async (db) => {
      const row = await this.requests.findVisible(db, this.policy.scopeFor(principal), id);
      if (!row || !canSeeRequest(this.policy.policy, principal, row)) throw requestNotFound();
      const [approvals, reviews] = await Promise.all([
        this.requests.approvals(db, [row.id]),
        this.reviews.forRequests(db, row.breakGlass ? [row.id] : []),
      ]);
      return toRequestView(row, approvals, reviews);
    });
  }

  async requestList(principal: Principal, query: RequestListQuery): Promise<ListPage<RequestView>> {
    return this.uow.read(async (db) => {
      const page = await this.requests.list(db, this.policy.scopeFor(principal), query);
      const approvals = await this.requests.approvals(
        db,
        page.items.map((row) => row.id),
      );
      const reviews = await this.reviews.forRequests(
        db,
        page.items.filter((row) => row.breakGlass).map((row) => row.id),
      );
      return {
        ...page,
        items: page.items.map((row) => toRequestView(row, approvals, reviews)),
      };
    });
  }

  async grant(principal: Principal, id: string): Promise<GrantView> {
    return this.uow.read(async (db) => {
      const row = await this.grants.findVisible(db, this.policy.scopeFor(principal), id);
      if (!row || !canSeeGrant(this.policy.policy, principal, row)) throw grantNotFound();
      return toGrantView(row, this.clock.now());
    });
  }

  async grantList(
    principal: Principal,
    query: { status?: GrantStatus; overdue?: boolean; cursor?: string; limit: number },
  ): Promise<ListPage<GrantView>> {
    const now = this.clock.now();
    return this.uow.read(async (db) => {
      const page = await this.grants.list(db, this.policy.scopeFor(principal), { ...query, now });
      return { ...page, items: page.items.map((row) => toGrantView(row, now)) };
    });
  }

  /**
   * Whether to show the security team's web pages. A non-admin is refused and audited as on the
   * API, but the page answers 404 rather than 403: what one may not see does not exist.
   */
  async admitsToAdminPages(principal: Principal): Promise<boolean> {
    const decision = checkAdmin(this.policy.policy, principal, 'admin.pages');
    if (!decision.allowed) {
      const subject = {
        actor: principal.id,
        action: 'admin.pages',
        data: { action: 'admin.pages' },
      };
      await this.uow.run(async (tx) => {
        // Committed, not thrown: the page answers its own 404.
        await refuseDecision(tx, this.audit, 'audit.refused', subject, decision);
      });
    }
    return decision.allowed;
  }
}
