import type { ProviderDefinition } from '#domain';
import { z } from 'zod';
import { text } from './schema-parts.js';

/**
 * Prefixes of the users countersign owns: with the 25 characters of a grant id in base 36, a name
 * fits MySQL's 32-character limit on user names.
 */
const USER_PREFIX = /^[a-z][a-z0-9_]{0,6}$/;

/** A role name as written (quoted with backticks when used); MySQL's limit is 32 characters. */
const roleName = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'letters, digits, _ and $ only, not starting with a digit');

/** `provider: {type: mysql}` (docs/providers.md#mysql-and-mariadb): one user per grant. */
export const mysqlProvider = z
  .strictObject({
    type: z.literal('mysql'),
    // Usually `${NAME}`: it carries the broker's password. Never echoed.
    url: text.refine(isMysqlUrl, 'must be a mysql:// URL naming a host'),
    grantRole: roleName,
    userPrefix: z
      .string()
      .regex(USER_PREFIX, 'lower-case letters, digits and _, starting with a letter, at most 7')
      .default('cs_'),
  })
  .transform((provider): ProviderDefinition => ({
    type: 'mysql',
    url: provider.url,
    grantRole: provider.grantRole,
    userPrefix: provider.userPrefix,
  }));

function isMysqlUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'mysql:' && url.hostname !== '';
}
