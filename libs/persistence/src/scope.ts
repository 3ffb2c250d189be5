import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

/**
 * What a principal may see, resolved from policy before any query: every repository read takes
 * one, so an authorization bug in a use case cannot become a data leak.
 */
export interface ReadScope {
  readonly principalId: string;
  /** Admins see everything. */
  readonly admin: boolean;
  /** Roles whose requests this principal may see as an eligible approver. */
  readonly approverRoles: readonly string[];
  /** Roles whose escalated requests it may see, as one of their `escalateTo`. */
  readonly escalationRoles?: readonly string[];
}

/**
 * The scope of the broker's own work (sweeps, expiry, escalation, evidence's grant), which acts
 * on rows no caller named: it sees everything, and says so where it reads.
 */
export const SYSTEM_SCOPE: ReadScope = Object.freeze({
  principalId: 'system',
  admin: true,
  approverRoles: [],
});

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** Keyset cursor over (instant, id): stable under concurrent inserts, opaque to clients. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.getTime()}.${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { at: number; id: string } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,15})\.([0-9a-f-]{36})$/.exec(text);
  return match ? { at: Number(match[1]), id: match[2] } : undefined;
}

/**
 * Locks the rows a query selects until commit (of the `tables` aliases only, when given), on
 * PostgreSQL. SQLite has one writer, serialised by the UnitOfWork, and TypeORM refuses row locks
 * there.
 */
export function forUpdate<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  ...tables: string[]
): SelectQueryBuilder<T> {
  if (query.connection.options.type !== 'postgres') return query;
  return query.setLock('pessimistic_write', undefined, tables.length > 0 ? tables : undefined);
}

/**
 * Newest first by (`instantColumn`, id), `limit` rows after `cursor`: one keyset page of a query
 * already filtered and scoped. `instant` reads the instant of a row for the next cursor.
 */
export async function newestFirstPage<T extends ObjectLiteral & { id: string }>(
  query: SelectQueryBuilder<T>,
  instantPath: string,
  instant: (row: T) => Date,
  page: { cursor?: string; limit: number },
): Promise<Page<T>> {
  const alias = query.alias;
  const cursor = page.cursor ? decodeCursor(page.cursor) : undefined;
  if (cursor) {
    // A row comparison, which both databases read as a range of the (instant, id) index: the
    // equivalent `a < x OR (a = x AND id < y)` is a filter, and each page re-read the index from
    // its top (a page at the middle of 100k grants took 315 ms, and paging slowed as it went).
    query.andWhere(`(${alias}.${instantPath}, ${alias}.id) < (:at, :cursorId)`, {
      at: cursor.at,
      cursorId: cursor.id,
    });
  }
  const rows = await query
    .orderBy(`${alias}.${instantPath}`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .limit(page.limit + 1)
    .getMany();
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return rows.length > page.limit && last
    ? { items, nextCursor: encodeCursor(instant(last), last.id) }
    : { items };
}
