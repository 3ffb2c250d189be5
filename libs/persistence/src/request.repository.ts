import { Injectable } from '@nestjs/common';
import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { Brackets } from 'typeorm';
import type { RequestStatus } from '#domain';
import { assertTransition } from '#domain';
import { AccessRequestRow } from './entities/access-request.entity.js';
import { ApprovalRow } from './entities/approval.entity.js';
import { GrantRow } from './entities/grant.entity.js';
import type { Page, ReadScope } from './scope.js';
import { forUpdate, newestFirstPage } from './scope.js';

export interface RequestFilter {
  status?: RequestStatus;
  role?: string;
  /** Only requests where the principal is the requester or the recipient. */
  mine?: boolean;
  /** Only pending requests the principal could approve and has not yet approved. */
  toApprove?: boolean;
  /** Only break-glass activations; with `unreviewed`, only those whose review is still owed. */
  breakGlass?: boolean;
  unreviewed?: boolean;
  cursor?: string;
  limit: number;
}

@Injectable()
export class RequestRepository {
  async insert(tx: EntityManager, row: AccessRequestRow): Promise<void> {
    await tx.insert(AccessRequestRow, row);
  }

  /**
   * A request the scope may see, or null (the same for one that does not exist). With `lock`, for
   * a state change: on PostgreSQL the row is locked until commit so that concurrent approvals and
   * mints of one request run one after the other. There is no read by bare id: sweeps pass
   * `SYSTEM_SCOPE`.
   */
  async findVisible(
    manager: EntityManager,
    scope: ReadScope,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<AccessRequestRow | null> {
    const query = manager.createQueryBuilder(AccessRequestRow, 'r').where('r.id = :id', { id });
    if (options.lock) forUpdate(query);
    return this.scoped(query, scope).getOne();
  }

  /** Moves a request forward only from the state the caller saw: a guarded update, never a blind one. */
  async transition(
    tx: EntityManager,
    id: string,
    from: RequestStatus,
    patch: Partial<Pick<AccessRequestRow, 'status' | 'decidedAt' | 'deadlineAt' | 'grantId'>>,
  ): Promise<boolean> {
    // The domain's state machine is the one list of allowed moves; a use case asking for another
    // is a bug, refused before it reaches the database.
    if (patch.status !== undefined) assertTransition(from, patch.status);
    const result = await tx.update(AccessRequestRow, { id, status: from }, patch);
    return (result.affected ?? 0) === 1;
  }

  /** The open (pending or approved) extension of a grant: at most one (a unique index). */
  async openExtensionOf(manager: EntityManager, grantId: string): Promise<AccessRequestRow | null> {
    return manager
      .createQueryBuilder(AccessRequestRow, 'r')
      .where('r.extendsGrantId = :grantId', { grantId })
      .andWhere('r.status IN (:...open)', { open: ['pending', 'approved'] })
      .getOne();
  }

  /** The redeemed extensions of a grant, oldest first: what moved its end. */
  async issuedExtensionsOf(manager: EntityManager, grantId: string): Promise<AccessRequestRow[]> {
    return manager
      .createQueryBuilder(AccessRequestRow, 'r')
      .where('r.extendsGrantId = :grantId', { grantId })
      .andWhere("r.status = 'issued'")
      .orderBy('r.decidedAt', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .getMany();
  }

  async approvals(manager: EntityManager, requestIds: readonly string[]): Promise<ApprovalRow[]> {
    if (requestIds.length === 0) return [];
    return manager
      .createQueryBuilder(ApprovalRow, 'a')
      .where('a.requestId IN (:...ids)', { ids: requestIds })
      .orderBy('a.at', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .getMany();
  }

  async insertApproval(tx: EntityManager, row: ApprovalRow): Promise<void> {
    await tx.insert(ApprovalRow, row);
  }

  /** Open requests whose deadline has passed, oldest first, for the expiry sweep. */
  async overdue(manager: EntityManager, now: Date, limit: number): Promise<AccessRequestRow[]> {
    return manager
      .createQueryBuilder(AccessRequestRow, 'r')
      .where('r.status IN (:...open)', { open: ['pending', 'approved'] })
      .andWhere('r.deadlineAt <= :now', { now: now.getTime() })
      .orderBy('r.deadlineAt', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * Open extensions of grants that have ended (expired or revoked): they can never be redeemed
   * (the grant is not extended any more), so the request-expiry sweep closes them.
   */
  async orphanedExtensions(manager: EntityManager, limit: number): Promise<AccessRequestRow[]> {
    return manager
      .createQueryBuilder(AccessRequestRow, 'r')
      .innerJoin(GrantRow, 'g', 'g.id = r.extends_grant_id')
      .where('r.status IN (:...open)', { open: ['pending', 'approved'] })
      .andWhere('r.extends_grant_id IS NOT NULL')
      .andWhere("g.status <> 'active'")
      .orderBy('r.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * Open (pending or approved) requests after `afterId` in id order, locked: a page of what a
   * policy reload re-evaluates.
   */
  async openPage(tx: EntityManager, afterId: string, limit: number): Promise<AccessRequestRow[]> {
    return forUpdate(
      tx
        .createQueryBuilder(AccessRequestRow, 'r')
        .where('r.status IN (:...open)', { open: ['pending', 'approved'] })
        .andWhere('r.id > :afterId', { afterId })
        .orderBy('r.id', 'ASC')
        .limit(limit),
    ).getMany();
  }

  async list(
    manager: EntityManager,
    scope: ReadScope,
    filter: RequestFilter,
  ): Promise<Page<AccessRequestRow>> {
    const query = this.scoped(manager.createQueryBuilder(AccessRequestRow, 'r'), scope);
    if (filter.status) query.andWhere('r.status = :status', { status: filter.status });
    if (filter.role) query.andWhere('r.role = :role', { role: filter.role });
    if (filter.mine) {
      query.andWhere('(r.requester = :me OR r.recipient = :me)', { me: scope.principalId });
    }
    if (filter.toApprove) this.awaitingApprovalBy(query, scope);
    if (filter.breakGlass || filter.unreviewed) query.andWhere('r.breakGlass = TRUE');
    if (filter.unreviewed) {
      query.andWhere(
        'EXISTS (SELECT 1 FROM break_glass_reviews b WHERE b.request_id = r.id AND b.reviewed_at IS NULL)',
      );
    }
    return newestFirstPage(query, 'createdAt', (row) => row.createdAt, filter);
  }

  private awaitingApprovalBy(query: SelectQueryBuilder<AccessRequestRow>, scope: ReadScope): void {
    query
      .andWhere("r.status = 'pending'")
      .andWhere(approverOf(scope, 'approvable'))
      .andWhere('r.requester <> :me AND r.recipient <> :me', { me: scope.principalId })
      .andWhere(
        'NOT EXISTS (SELECT 1 FROM approvals a WHERE a.request_id = r.id AND a.approver = :me)',
        { me: scope.principalId },
      );
  }

  private scoped(
    query: SelectQueryBuilder<AccessRequestRow>,
    scope: ReadScope,
  ): SelectQueryBuilder<AccessRequestRow> {
    if (scope.admin) return query;
    return query.andWhere(
      new Brackets((visible) => {
        visible
          .where('r.requester = :viewer', { viewer: scope.principalId })
          .orWhere('r.recipient = :viewer', { viewer: scope.principalId })
          .orWhere(approverOf(scope, 'viewer'));
      }),
    );
  }
}

/**
 * The requests a scope may decide: of the roles it approves, and the escalated ones of the roles
 * that escalate to it. '' keeps each IN list non-empty; no role is named ''.
 */
function approverOf(scope: ReadScope, name: string): Brackets {
  return new Brackets((approver) => {
    approver.where(`r.role IN (:...${name}Roles)`, {
      [`${name}Roles`]: ['', ...scope.approverRoles],
    });
    if ((scope.escalationRoles ?? []).length > 0) {
      approver.orWhere(`(r.role IN (:...${name}Escalated) AND r.escalated_at IS NOT NULL)`, {
        [`${name}Escalated`]: scope.escalationRoles,
      });
    }
  });
}
