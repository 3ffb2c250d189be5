import { grantIdOf, loginRoleName } from './login-role-name.js';

/**
 * The ACL user of a grant: `<prefix><grant id without dashes>_<issued at in ms, base 36>`. Redis
 * keeps nothing but rules with a user, so its name carries when it was opened: reconciliation
 * spares a user whose mint may still be committing (docs/providers.md#reconciliation).
 */
export function redisUserName(prefix: string, grantId: string, issuedAt: Date): string {
  return `${loginRoleName(prefix, grantId)}_${issuedAt.getTime().toString(36)}`;
}

/** The grant and opening time an ACL user was named after, or undefined for another name. */
export function redisUserOf(
  prefix: string,
  name: string,
): { grantId: string; createdAt: Date } | undefined {
  const match = /^(.*)_([0-9a-z]{1,11})$/.exec(name);
  if (!match) return undefined;
  const grantId = grantIdOf(prefix, match[1]);
  const createdAt = parseInt(match[2], 36);
  if (grantId === undefined || !Number.isSafeInteger(createdAt)) return undefined;
  return { grantId, createdAt: new Date(createdAt) };
}
