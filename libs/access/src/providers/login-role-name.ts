const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The login role of a grant: `<prefix><grant id without dashes>`, at most 24 + 32 characters. */
export function loginRoleName(prefix: string, grantId: string): string {
  if (!UUID.test(grantId)) throw new Error('a grant id is a lower-case UUID');
  return prefix + grantId.replaceAll('-', '');
}

/** The grant id a login role was named after, or undefined for a role not of this scheme. */
export function grantIdOf(prefix: string, roleName: string): string | undefined {
  if (!roleName.startsWith(prefix)) return undefined;
  const hex = roleName.slice(prefix.length);
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ].join('-');
}
