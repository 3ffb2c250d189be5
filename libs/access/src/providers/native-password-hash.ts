import { createHash } from 'node:crypto';

/**
 * The `mysql_native_password` hash MariaDB stores for `password`: `*` and the upper-case hex of
 * SHA1(SHA1(password)), as its PASSWORD() computes it. Sending this (`IDENTIFIED BY PASSWORD`)
 * instead of the password keeps the password out of MariaDB's general and slow logs, which
 * record `IDENTIFIED BY '<password>'` as written. Checked against MariaDB in the provider's tests.
 */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password).digest();
  return `*${createHash('sha1').update(once).digest('hex').toUpperCase()}`;
}
