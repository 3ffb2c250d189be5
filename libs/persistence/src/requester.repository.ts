import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditEventRow } from './entities/audit-event.entity.js';
import { GrantRow } from './entities/grant.entity.js';

/** Who denied a request and why, as its `request.denied` audit event records it. */
export interface Denial {
  requestId: string;
  by: string;
  reason: string;
  at: Date;
}

/**
 * The requester's own page (docs/api.md §6): reads scoped to one recipient, whoever that is. An
 * admin's grant scope is every grant; here even an admin sees only the grants it holds itself.
 */
@Injectable()
export class RequesterRepository {
  /** The recipient's active grants, ending soonest first (idx_grants_recipient). */
  async activeGrantsOf(manager: EntityManager, recipient: string, limit: number) {
    return manager
      .createQueryBuilder(GrantRow, 'g')
      .where('g.recipient = :recipient', { recipient })
      .andWhere('g.status = :active', { active: 'active' })
      .orderBy('g.expiresAt', 'ASC')
      .addOrderBy('g.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Of these grants, those the recipient holds. */
  async grantsOf(manager: EntityManager, recipient: string, ids: readonly string[]) {
    if (ids.length === 0) return [];
    return manager
      .createQueryBuilder(GrantRow, 'g')
      .where('g.id IN (:...ids)', { ids: [...ids] })
      .andWhere('g.recipient = :recipient', { recipient })
      .getMany();
  }

  /**
   * The denials of these requests, from the audit log (idx_audit_request): the request row keeps
   * only its status, the log keeps who decided and the reason they gave. Only events already
   * integrated are read (the caller catches the log up first).
   */
  async denials(manager: EntityManager, requestIds: readonly string[]): Promise<Denial[]> {
    if (requestIds.length === 0) return [];
    const rows = await manager
      .createQueryBuilder(AuditEventRow, 'e')
      .where('e.requestId IN (:...ids)', { ids: [...requestIds] })
      .andWhere('e.type = :type', { type: 'request.denied' })
      .getMany();
    return rows.map((row) => ({
      requestId: row.requestId ?? '',
      by: row.actor,
      reason: typeof row.data.reason === 'string' ? row.data.reason : '',
      at: row.at,
    }));
  }
}
