import type { Selector } from './principal.js';

export type SeparationMode = 'strict' | 'identity';

export interface ProviderDefinition {
  readonly type: 'jwt';
}

/** A requestable role, with every duration in seconds. */
export interface RoleDefinition {
  readonly name: string;
  readonly resource: string;
  readonly actions: readonly string[];
  readonly maxDuration: number;
  readonly defaultDuration: number;
  readonly redeemWithin: number;
  readonly requestTimeout: number;
  readonly requesters: Selector;
  readonly approvers: Selector;
  readonly approvalsRequired: number;
  readonly requireJustification: boolean;
  readonly provider: ProviderDefinition;
}

export interface PolicyDefinition {
  readonly separation: SeparationMode;
  readonly admins: Selector;
  readonly roles: readonly RoleDefinition[];
}

export function findRole(policy: PolicyDefinition, name: string): RoleDefinition | undefined {
  return policy.roles.find((role) => role.name === name);
}
