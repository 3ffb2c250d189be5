import type { PolicyContext, PolicyDefinition, Principal, RoleDefinition } from '#domain';
import { IdentityGraph, findRole, isAdmin, rolesApprovableBy } from '#domain';
import type { ReadScope } from '#persistence';

export interface PolicySource {
  policy: PolicyDefinition;
  owners: Record<string, string>;
  /** Agent -> the people it may request on behalf of. */
  delegations: Record<string, string[]>;
  aliases: string[][];
  directory: Record<string, string[]>;
}

/**
 * The policy in force and what derives from it. Held in one place so that a later config reload
 * swaps all of it at once and every decision after that sees the new policy.
 *
 * The ownership graph joins the config's `owners` with the owners of service accounts, which live
 * in the database (`local:<name>` -> its person): `setServiceAccountOwners` brings them in at
 * start-up, after each change and periodically (ServiceAccountOwnersSync).
 */
export class PolicyState {
  private current: { source: PolicySource; context: PolicyContext };
  private accountOwners: Readonly<Record<string, string>> = {};

  constructor(source: PolicySource) {
    this.current = PolicyState.derive(source, this.accountOwners);
  }

  /** Throws OwnershipCycleError when config and service-account owners together form a loop. */
  private static derive(source: PolicySource, accountOwners: Readonly<Record<string, string>>) {
    const graph = IdentityGraph.build({ ...accountOwners, ...source.owners }, source.aliases);
    return { source, context: { policy: source.policy, graph } };
  }

  replace(source: PolicySource): void {
    this.current = PolicyState.derive(source, this.accountOwners);
  }

  /** Service-account principal -> owner, for every service account (disabled ones too). */
  setServiceAccountOwners(owners: Readonly<Record<string, string>>): void {
    this.current = PolicyState.derive(this.current.source, owners);
    this.accountOwners = owners;
  }

  /** Whether the graph already holds this service account's owner. */
  hasServiceAccountOwner(principalId: string, owner: string): boolean {
    return this.accountOwners[principalId] === owner;
  }

  get context(): PolicyContext {
    return this.current.context;
  }

  get policy(): PolicyDefinition {
    return this.current.source.policy;
  }

  role(name: string): RoleDefinition | undefined {
    return findRole(this.policy, name);
  }

  isAdmin(principal: Principal): boolean {
    return isAdmin(this.policy, principal);
  }

  /** The people `agent` may request on behalf of (config `delegations`). */
  delegatorsOf(agent: string): readonly string[] {
    return this.current.source.delegations[agent] ?? [];
  }

  /** Groups as of now: the token's groups when it was presented, plus today's directory. */
  groupsNow(id: string, tokenGroups: readonly string[]): string[] {
    return [...new Set([...tokenGroups, ...(this.current.source.directory[id] ?? [])])];
  }

  scopeFor(principal: Principal): ReadScope {
    return {
      principalId: principal.id,
      admin: this.isAdmin(principal),
      approverRoles: rolesApprovableBy(this.policy, principal),
    };
  }
}
