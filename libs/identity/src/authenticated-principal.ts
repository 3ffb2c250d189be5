import type { Principal } from '#domain';

/**
 * A principal that presented a verified credential (a token of a trusted issuer, a JWT-SVID, a
 * service account's key); `tokenGroups` are kept apart from directory groups for re-evaluation.
 */
export interface AuthenticatedPrincipal extends Principal {
  readonly tokenGroups: readonly string[];
}

/** A principal's groups: those its credential carried plus those the directory declares. */
export function withDirectoryGroups(
  id: string,
  tokenGroups: readonly string[],
  directory: Readonly<Record<string, readonly string[]>>,
): string[] {
  return [...new Set([...tokenGroups, ...(directory[id] ?? [])])];
}
