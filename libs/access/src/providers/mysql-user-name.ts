const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** 36^25 > 2^128: any grant id fits in 25 base-36 digits. */
const DIGITS = 25;

/**
 * The user of a grant: `<prefix><grant id as a 128-bit number in base 36, 25 digits>`. With a
 * prefix of at most 7 characters it fits MySQL's 32-character user names (32 hex digits would not).
 */
export function mysqlUserName(prefix: string, grantId: string): string {
  if (!UUID.test(grantId)) throw new Error('a grant id is a lower-case UUID');
  const number = BigInt(`0x${grantId.replaceAll('-', '')}`);
  return prefix + number.toString(36).padStart(DIGITS, '0');
}

/** The grant id a user was named after, or undefined for a name not of this scheme. */
export function mysqlGrantIdOf(prefix: string, user: string): string | undefined {
  if (!user.startsWith(prefix)) return undefined;
  const digits = user.slice(prefix.length);
  if (!/^[0-9a-z]{25}$/.test(digits)) return undefined;
  let number = 0n;
  for (const digit of digits) number = number * 36n + BigInt(parseInt(digit, 36));
  const hex = number.toString(16);
  if (hex.length > 32) return undefined;
  const full = hex.padStart(32, '0');
  const grantId = [
    full.slice(0, 8),
    full.slice(8, 12),
    full.slice(12, 16),
    full.slice(16, 20),
    full.slice(20),
  ].join('-');
  return grantId;
}
