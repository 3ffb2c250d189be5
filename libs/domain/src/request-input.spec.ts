import type { RoleDefinition } from './policy.js';
import { resolveRequestInput } from './request-input.js';
import { testRole } from './testing/roles.js';

const role = testRole({ requireJustification: true });
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

describe('an intent', () => {
  const wide: RoleDefinition = {
    ...optional,
    resource: 'postgres://prod/payments',
    actions: ['db:read', 'db:write', 'db:admin'],
  };
  const resolve = (intent: { actions: string[]; resource?: string }) =>
    resolveRequestInput(wide, { intent });

  it('narrows the actions, in the role’s order, on the role’s resource by default', () => {
    expect(resolve({ actions: ['db:write', 'db:read'] })).toEqual({
      ok: true,
      value: {
        durationSeconds: 900,
        justification: undefined,
        intent: { actions: ['db:read', 'db:write'], resource: 'postgres://prod/payments' },
      },
    });
  });

  it.each([
    'postgres://prod/payments',
    'postgres://prod/payments/invoices',
    'postgres://prod/payments/invoices/2026',
  ])('accepts the resource %s', (resource) => {
    expect(resolve({ actions: ['db:read'], resource })).toMatchObject({
      ok: true,
      value: { intent: { resource } },
    });
  });

  it.each([
    ['a sibling sharing the prefix', 'postgres://prod/payments-archive'],
    ['the parent', 'postgres://prod'],
    ['another resource', 'https://example.com/payments'],
    ['a dot-dot segment', 'postgres://prod/payments/../ledger'],
    ['a trailing dot-dot', 'postgres://prod/payments/..'],
    ['a dot segment', 'postgres://prod/payments/./x'],
    ['an encoded dot', 'postgres://prod/payments/%2E%2E/ledger'],
    ['an encoded slash', 'postgres://prod/payments/a%2Fb'],
    ['a query', 'postgres://prod/payments/x?y=1'],
    ['a fragment', 'postgres://prod/payments/x#y'],
    ['whitespace', 'postgres://prod/payments/a b'],
    ['a backslash', 'postgres://prod/payments/a\\b'],
    ['just the separator', 'postgres://prod/payments/'],
  ])('refuses %s', (_case, resource) => {
    expect(resolve({ actions: ['db:read'], resource })).toEqual({
      ok: false,
      fields: [
        {
          field: 'intent.resource',
          message: 'must be postgres://prod/payments or a path under it',
        },
      ],
    });
  });

  it.each<[string, string[], string]>([
    [
      'a wider action',
      ['db:read', 'db:drop'],
      "not among the role's actions (db:read, db:write, db:admin): db:drop",
    ],
    ['no action', [], 'must name at least one action'],
    ['a repeated action', ['db:read', 'db:read'], 'must not repeat an action'],
  ])('refuses %s', (_case, actions, message) => {
    expect(resolve({ actions })).toEqual({
      ok: false,
      fields: [{ field: 'intent.actions', message }],
    });
  });
});
