import type { RoleDefinition } from './policy.js';
import { resolveRequestInput } from './request-input.js';

const role: RoleDefinition = {
  name: 'prod-db-admin',
  resource: 'postgres://prod/payments',
  actions: ['db:read'],
  maxDuration: 3600,
  defaultDuration: 900,
  redeemWithin: 900,
  requestTimeout: 86400,
  requesters: { groups: ['engineering'] },
  approvers: { groups: ['sre-leads'] },
  approvalsRequired: 1,
  requireJustification: true,
  provider: { type: 'jwt' },
};
const optional: RoleDefinition = { ...role, requireJustification: false };

type Input = { durationSeconds?: number; justification?: string };

describe('resolveRequestInput accepts', () => {
  it.each<[string, RoleDefinition, Input, number, string | undefined]>([
    ['the default duration', role, { justification: 'INC-1' }, 900, 'INC-1'],
    ['an explicit duration', role, { durationSeconds: 60, justification: 'INC-1' }, 60, 'INC-1'],
    ['exactly the max', role, { durationSeconds: 3600, justification: 'INC-1' }, 3600, 'INC-1'],
    ['one second', role, { durationSeconds: 1, justification: 'INC-1' }, 1, 'INC-1'],
    ['a padded justification as given', role, { justification: ' INC-1 ' }, 900, ' INC-1 '],
    ['no justification when optional', optional, {}, 900, undefined],
    ['an empty justification when optional', optional, { justification: '' }, 900, undefined],
    ['a blank justification when optional', optional, { justification: ' \t\n' }, 900, undefined],
    ['a justification when optional', optional, { justification: 'why' }, 900, 'why'],
  ])('%s', (_case, r, input, durationSeconds, justification) => {
    expect(resolveRequestInput(r, input)).toEqual({
      ok: true,
      value: { durationSeconds, justification },
    });
  });
});

describe('resolveRequestInput refuses', () => {
  it.each<[string, RoleDefinition, Input, { field: string; message: string }[]]>([
    [
      'over the max',
      role,
      { durationSeconds: 3601, justification: 'INC-1' },
      [{ field: 'duration', message: "exceeds the role's maxDuration of 1h" }],
    ],
    [
      'zero',
      role,
      { durationSeconds: 0, justification: 'INC-1' },
      [{ field: 'duration', message: 'must be positive' }],
    ],
    [
      'negative',
      role,
      { durationSeconds: -1, justification: 'INC-1' },
      [{ field: 'duration', message: 'must be positive' }],
    ],
    [
      'a default over the max',
      { ...role, defaultDuration: 7200 },
      { justification: 'INC-1' },
      [{ field: 'duration', message: "exceeds the role's maxDuration of 1h" }],
    ],
    [
      'a missing required justification',
      role,
      {},
      [{ field: 'justification', message: 'is required for this role' }],
    ],
    [
      'an empty required justification',
      role,
      { justification: '' },
      [{ field: 'justification', message: 'is required for this role' }],
    ],
    [
      'a whitespace-only required justification',
      role,
      { justification: '  \t\n ' },
      [{ field: 'justification', message: 'is required for this role' }],
    ],
    [
      'both fields at once',
      role,
      { durationSeconds: 4000, justification: ' ' },
      [
        { field: 'duration', message: "exceeds the role's maxDuration of 1h" },
        { field: 'justification', message: 'is required for this role' },
      ],
    ],
  ])('%s', (_case, r, input, fields) => {
    expect(resolveRequestInput(r, input)).toEqual({ ok: false, fields });
  });
});
