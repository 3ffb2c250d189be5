import { Injectable } from '@nestjs/common';
import type { Principal, ProviderDefinition, RoleDefinition } from '#domain';
import { checkRequester } from '#domain';
import { PolicyState } from './policy-state.js';

/**
 * A role as `GET /v1/roles` shows it (docs/api-extensions.md), durations in seconds. Built field by
 * field: a role's provider settings hold secrets (connection URLs, signing keys) and break-glass
 * notify settings hold webhook secrets, so neither is ever serialised, only the provider's type.
 */
export interface RoleView {
  name: string;
  resource: string;
  actions: string[];
  maxDuration: number;
  /** How long a grant may last from its first issue, extensions included. */
  maxExtendedDuration: number;
  defaultDuration: number;
  approvalsRequired: number;
  requireJustification: boolean;
  provider: ProviderDefinition['type'];
  /** Whether the caller may request it: false only on roles an admin sees but may not request. */
  requestable: boolean;
  /** Only when the role allows break-glass. */
  breakGlass?: { maxDuration: number; reviewWithin: number };
}

/** Reads of the policy in force, scoped like every read: what the principal may not use is absent. */
@Injectable()
export class RoleQueries {
  constructor(private readonly policy: PolicyState) {}

  /** The roles this principal may request, in config order; admins see every role. */
  visibleRoles(principal: Principal): { items: RoleView[] } {
    const admin = this.policy.isAdmin(principal);
    const items = this.policy.policy.roles
      .map((role) => ({ role, requestable: checkRequester(role, principal).allowed }))
      .filter(({ requestable }) => requestable || admin)
      .map(({ role, requestable }) => toRoleView(role, requestable));
    return { items };
  }
}

function toRoleView(role: RoleDefinition, requestable: boolean): RoleView {
  return {
    name: role.name,
    resource: role.resource,
    actions: [...role.actions],
    maxDuration: role.maxDuration,
    maxExtendedDuration: role.maxExtendedDuration,
    defaultDuration: role.defaultDuration,
    approvalsRequired: role.approvalsRequired,
    requireJustification: role.requireJustification,
    provider: role.provider.type,
    requestable,
    ...(role.breakGlass
      ? {
          breakGlass: {
            maxDuration: role.breakGlass.maxDuration,
            reviewWithin: role.breakGlass.reviewWithin,
          },
        }
      : {}),
  };
}
