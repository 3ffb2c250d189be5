import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ServiceAccountRow } from './entities/service-account.entity.js';
import type { Page, ReadScope } from './scope.js';
import { forUpdate, newestFirstPage } from './scope.js';

export interface NewKey {
  keyHolder: string;
  keyId: string;
  keyHash: string;
  keyCreatedAt: Date;
  keyExpiresAt: Date | null;
}

/** Service accounts: admins see all of them, a person the ones it owns. */
@Injectable()
export class ServiceAccountRepository {
  async insert(tx: EntityManager, row: ServiceAccountRow): Promise<void> {
    await tx.insert(ServiceAccountRow, row);
  }

  /** An account the scope may see, by name; with `lock`, held until commit for a change. */
  async findVisible(
    manager: EntityManager,
    scope: ReadScope,
    name: string,
    options: { lock?: boolean } = {},
  ): Promise<ServiceAccountRow | null> {
    const query = manager
      .createQueryBuilder(ServiceAccountRow, 'sa')
      .where('sa.name = :name', { name });
    if (options.lock) forUpdate(query);
    if (!scope.admin) query.andWhere('sa.owner = :viewer', { viewer: scope.principalId });
    return query.getOne();
  }

  async exists(manager: EntityManager, name: string): Promise<boolean> {
    return manager.exists(ServiceAccountRow, { where: { name } });
  }

  async list(
    manager: EntityManager,
    scope: ReadScope,
    page: { cursor?: string; limit: number },
  ): Promise<Page<ServiceAccountRow>> {
    const query = manager.createQueryBuilder(ServiceAccountRow, 'sa');
    if (!scope.admin) query.where('sa.owner = :viewer', { viewer: scope.principalId });
    return newestFirstPage(query, 'createdAt', (row) => row.createdAt, page);
  }

  /** For authentication, where the presented key names the account: no viewer scope applies. */
  async findByKeyId(manager: EntityManager, keyId: string): Promise<ServiceAccountRow | null> {
    return manager.findOne(ServiceAccountRow, { where: { keyId } });
  }

  /**
   * Every account's owner and key holder, disabled ones included: ownership outlives the key, and
   * a disabled account's last key may still sit with its holder (re-enabled accounts are not a
   * thing, but the link costs nothing to keep).
   */
  async links(
    manager: EntityManager,
  ): Promise<{ name: string; owner: string; keyHolder: string | null }[]> {
    return manager
      .createQueryBuilder(ServiceAccountRow, 'sa')
      .select(['sa.name', 'sa.owner', 'sa.keyHolder'])
      .getMany();
  }

  async replaceKey(tx: EntityManager, id: string, key: NewKey): Promise<void> {
    await tx.update(ServiceAccountRow, { id }, key);
  }

  async disable(tx: EntityManager, id: string, at: Date): Promise<void> {
    await tx.update(
      ServiceAccountRow,
      { id, status: 'active' },
      { status: 'disabled', disabledAt: at },
    );
  }

  /** Records a use, unless one was recorded since `staleBefore`: at most one write a minute. */
  async touch(manager: EntityManager, id: string, now: Date, staleBefore: Date): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(ServiceAccountRow)
      .set({ lastUsedAt: now })
      .where('id = :id', { id })
      .andWhere('(last_used_at IS NULL OR last_used_at < :staleBefore)', {
        staleBefore: staleBefore.getTime(),
      })
      .execute();
  }
}

/** A write refused by a unique index (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
