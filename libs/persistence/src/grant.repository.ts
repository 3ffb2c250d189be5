import type { EntityManager } from 'typeorm';
import type { GrantStatus } from '#domain';
import { GrantRow } from './entities/grant.entity.js';
import type { Page, ReadScope } from './scope.js';
import { decodeCursor, encodeCursor } from './scope.js';

export interface GrantFilter {
  status?: GrantStatus;
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

  async findVisible(
    manager: EntityManager,
    scope: ReadScope,
    id: string,
  ): Promise<GrantRow | null> {
    const query = manager.createQueryBuilder(GrantRow, 'g').where('g.id = :id', { id });
    if (!scope.admin) query.andWhere('g.recipient = :viewer', { viewer: scope.principalId });
    return query.getOne();
  }

  /** For introspection, where the token itself names the grant: no viewer scope applies. */
  async findByCredentialId(manager: EntityManager, jti: string): Promise<GrantRow | null> {
    return manager.findOne(GrantRow, { where: { id: jti } });
  }

  async findByRequest(manager: EntityManager, requestId: string): Promise<GrantRow | null> {
    return manager.findOne(GrantRow, { where: { requestId } });
  }

  /**
   * Ends an active grant. The `status = 'active'` guard makes ending idempotent under any race:
   * exactly one caller sees `true` and writes the audit event.
   */
  async endIfActive(tx: EntityManager, id: string, ending: GrantEnding): Promise<boolean> {
    const result = await tx.update(
      GrantRow,
      { id, status: 'active' },
      {
        status: ending.status,
        endedAt: ending.endedAt,
        revokedReason: ending.revokedReason ?? null,
        revokedBy: ending.revokedBy ?? null,
      },
    );
    return (result.affected ?? 0) === 1;
  }

  async list(
    manager: EntityManager,
    scope: ReadScope,
    filter: GrantFilter,
  ): Promise<Page<GrantRow>> {
    const query = manager.createQueryBuilder(GrantRow, 'g');
    if (!scope.admin) query.andWhere('g.recipient = :viewer', { viewer: scope.principalId });
    if (filter.status) query.andWhere('g.status = :status', { status: filter.status });
    const cursor = filter.cursor ? decodeCursor(filter.cursor) : undefined;
    if (cursor) {
      query.andWhere('(g.issuedAt < :at OR (g.issuedAt = :at AND g.id < :cursorId))', {
        at: cursor.at,
        cursorId: cursor.id,
      });
    }
    const rows = await query
      .orderBy('g.issuedAt', 'DESC')
      .addOrderBy('g.id', 'DESC')
      .limit(filter.limit + 1)
      .getMany();
    const items = rows.slice(0, filter.limit);
    const last = items[items.length - 1];
    return rows.length > filter.limit && last
      ? { items, nextCursor: encodeCursor(last.issuedAt, last.id) }
      : { items };
  }
}
