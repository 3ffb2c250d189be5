import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PrincipalGroupsRow } from './entities/principal-groups.entity.js';

/** The groups each principal last presented in a verified token (docs/api.md §2 rule 6). */
@Injectable()
export class PrincipalGroupsRepository {
  async record(
    manager: EntityManager,
    principal: string,
    tokenGroups: readonly string[],
    at: Date,
  ): Promise<void> {
    const row = Object.assign(new PrincipalGroupsRow(), {
      principal,
      tokenGroups: [...tokenGroups],
      seenAt: at,
    });
    await manager.getRepository(PrincipalGroupsRow).upsert(row, ['principal']);
  }

  async lastSeen(manager: EntityManager, principal: string): Promise<string[] | undefined> {
    const row = await manager.findOne(PrincipalGroupsRow, { where: { principal } });
    return row?.tokenGroups;
  }
}
