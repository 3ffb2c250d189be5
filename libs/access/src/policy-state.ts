import type { PolicyContext, PolicyDefinition, Principal, RoleDefinition } from '#domain';
import { IdentityGraph, findRole, isAdmin, rolesApprovableBy, rolesEscalatedTo } from '#domain';
import type { ReadScope } from '#persistence';
import { policyHash } from './policy-hash.js';

/** Service-account principal -> its owner, and -> whoever received its current key. */
export interface ServiceAccountLinks {
  readonly owners: Readonly<Record<string, string>>;
  readonly keyHolders: Readonly<Record<string, string>>;
}

export interface PolicySource {
  policy: PolicyDefinition;
  owners: Record<string, string>;
  /** Agent -> the people it may request on behalf of. */
  delegations: Record<string, string[]>;
  aliases: string[][];
  directory: Record<string, string[]>;
  /** Principal -> email address (config `emails`), for notifications. */
  emails?: Record<string, string>;
}

/**
 * The policy in force and what derives from it. Held in one place so that a later config reload
 * swaps all of it at once and every decision after that sees the new policy.
 *
 * The identity graph joins the config's `owners`, `aliases` and `delegations` with what lives in
 * the database about service accounts (`local:<name>` -> its person, and whoever holds its current
 * key): `setServiceAccountLinks` brings them in at start-up, after each change and periodically
 * (ServiceAccountOwnersSync).
 */
export class PolicyState {
  private current: { source: PolicySource; context: PolicyContext };
  private accounts: ServiceAccountLinks = { owners: {}, keyHolders: {} };

  constructor(source: PolicySource) {
    this.current = PolicyState.derive(source, this.accounts);
  }

  /** Throws OwnershipCycleError when config and service-account owners together form a loop. */
  private static derive(source: PolicySource, accounts: ServiceAccountLinks) {
    const graph = IdentityGraph.build({ ...accounts.owners, ...source.owners }, source.aliases, {
      keyHolders: accounts.keyHolders,
      delegations: source.delegations,
    });
    return { source, context: { policy: source.policy, graph } };
  }

  replace(source: PolicySource): void {
    this.current = PolicyState.derive(source, this.accounts);
  }

  /** Every service account's owner and key holder (disabled ones too). */
  setServiceAccountLinks(links: ServiceAccountLinks): void {
    this.current = PolicyState.derive(this.current.source, links);
    this.accounts = links;
  }

  /** Whether the graph already holds this service account's owner and key holder. */
  hasServiceAccountLinks(principalId: string, owner: string, keyHolder: string | null): boolean {
    return (
      this.accounts.owners[principalId] === owner &&
      (this.accounts.keyHolders[principalId] ?? null) === keyHolder
    );
  }

  /** Whoever received this service account's current key, if the graph knows the account. */
  keyHolderOf(principalId: string): string | undefined {
    return this.accounts.keyHolders[principalId];
  }

  get context(): PolicyContext {
    return this.current.context;
  }

  get policy(): PolicyDefinition {
    return this.current.source.policy;
  }

  /** The policy's hash as replicas compare it (policyHash). */
  get hash(): string {
    return policyHash(this.current.source);
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
    return [...new Set([...tokenGroups, ...this.directoryGroups(id)])];
  }

  /** The directory's groups for a principal, as the policy in force declares them. */
  directoryGroups(id: string): readonly string[] {
    return this.current.source.directory[id] ?? [];
  }

  /** The config's email address for a principal, if it names one. */
  emailOf(id: string): string | undefined {
    return this.current.source.emails?.[id];
  }

  /** Principals the directory puts in any of these groups. */
  directoryMembers(groups: readonly string[]): string[] {
    return Object.entries(this.current.source.directory)
      .filter(([, memberOf]) => memberOf.some((group) => groups.includes(group)))
      .map(([id]) => id);
  }

  scopeFor(principal: Principal): ReadScope {
    return {
      principalId: principal.id,
      admin: this.isAdmin(principal),
      approverRoles: rolesApprovableBy(this.policy, principal),
      escalationRoles: rolesEscalatedTo(this.policy, principal),
    };
  }
}
