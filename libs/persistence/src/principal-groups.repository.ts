import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Brackets, In } from 'typeorm';
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

  /**
   * Principals whose last token carried one of `groups`, with those groups (at most `limit`). The
   * groups are JSON text: a LIKE on the quoted name narrows the read, the exact check is here.
   */
  async withAnyGroup(
    manager: EntityManager,
    groups: readonly string[],
    limit = 1000,
  ): Promise<PrincipalGroupsRow[]> {
    if (groups.length === 0) return [];
    const query = manager.createQueryBuilder(PrincipalGroupsRow, 'p').where(
      new Brackets((any) => {
        groups.forEach((group, i) => {
          const pattern = `%${JSON.stringify(group).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
          any.orWhere(`p.token_groups LIKE :g${i} ESCAPE '\\'`, { [`g${i}`]: pattern });
        });
      }),
    );
    const rows = await query.orderBy('p.principal').limit(limit).getMany();
    return rows.filter((row) => row.tokenGroups.some((group) => groups.includes(group)));
  }

  /** The groups last seen for each of these principals. */
  async lastSeenOf(
    manager: EntityManager,
    principals: readonly string[],
  ): Promise<Map<string, string[]>> {
    if (principals.length === 0) return new Map();
    const rows = await manager.find(PrincipalGroupsRow, {
      where: { principal: In([...principals]) },
    });
    return new Map(rows.map((row) => [row.principal, row.tokenGroups]));
  }

  async lastSeen(manager: EntityManager, principal: string): Promise<string[] | undefined> {
    const row = await manager.findOne(PrincipalGroupsRow, { where: { principal } });
    return row?.tokenGroups;
  }
}
