/**
 * The claims of a JWT read without verifying it: only to tell the person who the token says they
 * are and when it expires. The broker does the verifying.
 */
export interface TokenClaims {
  sub?: string;
  iss?: string;
  exp?: number;
  groups?: string[];
}

export function readClaims(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (typeof payload !== 'object' || payload === null) return undefined;
    const { sub, iss, exp, groups } = payload as Record<string, unknown>;
    return {
      ...(typeof sub === 'string' ? { sub } : {}),
      ...(typeof iss === 'string' ? { iss } : {}),
      ...(typeof exp === 'number' ? { exp } : {}),
      ...(Array.isArray(groups) ? { groups: groups.filter((g) => typeof g === 'string') } : {}),
    };
  } catch {
    return undefined;
  }
}
