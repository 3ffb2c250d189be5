import type { PolicyContext, PolicyDefinition, Principal, RoleDefinition } from '#domain';
import { IdentityGraph, findRole, isAdmin, rolesApprovableBy } from '#domain';
import type { ReadScope } from '#persistence';

export interface PolicySource {
  policy: PolicyDefinition;
  owners: Record<string, string>;
  aliases: string[][];
  directory: Record<string, string[]>;
}

/**
 * The policy in force and what derives from it. Held in one place so that a later config reload
 * swaps all of it at once and every decision after that sees the new policy.
 */
export class PolicyState {
  private current: { source: PolicySource; context: PolicyContext };

  constructor(source: PolicySource) {
    this.current = PolicyState.derive(source);
  }

  private static derive(source: PolicySource) {
    const graph = IdentityGraph.build(source.owners, source.aliases);
    return { source, context: { policy: source.policy, graph } };
  }

  replace(source: PolicySource): void {
    this.current = PolicyState.derive(source);
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
