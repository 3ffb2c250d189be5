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
}

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
