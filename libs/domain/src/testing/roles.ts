import type { RoleDefinition } from '../policy.js';

/**
 * The role the unit specs reason about, with what a case changes: prod-db-admin on
 * postgres://prod/payments (db:read), requested by engineering, approved once by sre-leads,
 * 1 h at most (2 h with extensions) and 15 min by default, redeemed within 15 min, open for a day, no justification
 * required, a JWT credential.
 *
 * Test support, not part of the domain's API: no file of the lib imports it and index.ts does not
 * export it. It lives inside libs/domain so the domain's specs reach it without leaving the lib.
 */
export function testRole(overrides: Partial<RoleDefinition> = {}): RoleDefinition {
  return {
    name: 'prod-db-admin',
    resource: 'postgres://prod/payments',
    actions: ['db:read'],
    maxDuration: 3600,
    maxExtendedDuration: 7200,
    defaultDuration: 900,
    redeemWithin: 900,
    requestTimeout: 86400,
    requesters: { groups: ['engineering'] },
    approvers: { groups: ['sre-leads'] },
    approvalsRequired: 1,
    requireJustification: false,
    provider: { type: 'jwt' },
    revokeOnPolicyChange: false,
    ...overrides,
  };
}
