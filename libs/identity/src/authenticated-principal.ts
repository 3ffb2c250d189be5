import type { Principal } from '#domain';

/**
 * A principal that presented a verified credential (a token of a trusted issuer, a JWT-SVID, a
 * service account's key); `tokenGroups` are kept apart from directory groups for re-evaluation.
 */
export interface AuthenticatedPrincipal extends Principal {
  readonly tokenGroups: readonly string[];
  /**
   * Whether `tokenGroups` are all the groups the credential could give: false when it could have
   * carried groups and did not (a Slack click, an ID token without its issuer's groups claim), so
   * admin reach must be judged from elsewhere (libs/access `AdminReachJudge`), never assumed none.
   */
  readonly tokenGroupsKnown: boolean;
  /** The verified token's `email` claim, where email notifications go if the config names none. */
  readonly email?: string;
}

/**
 * The directory's groups for a principal, looked up per use: the policy in force gives them, so a
 * policy reload reaches bearer tokens, SVIDs and web sessions at once.
 */
export type DirectoryGroups = (id: string) => readonly string[];

/** A principal's groups: those its credential carried plus those the directory declares. */
export function withDirectoryGroups(
  id: string,
  tokenGroups: readonly string[],
  directory: DirectoryGroups,
): string[] {
  return [...new Set([...tokenGroups, ...directory(id)])];
}
