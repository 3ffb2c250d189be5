import { checkBreakGlassReviewer, resolveBreakGlass } from './break-glass.js';
import { IdentityGraph } from './identity-graph.js';
import type { PolicyContext } from './access-rules.js';
import { testRole } from './testing/roles.js';

const role = testRole({
  breakGlass: { maxDuration: 600, reviewWithin: 3600, escalateEvery: 900, notify: { slack: true } },
});

describe('resolveBreakGlass', () => {
  it('caps the default duration at the break-glass maximum', () => {
    expect(resolveBreakGlass(role, { justification: 'INC-9 outage' })).toEqual({
      ok: true,
      durationSeconds: 600,
      justification: 'INC-9 outage',
    });
  });

  it('refuses a longer duration and a missing justification, even where the role needs none', () => {
    expect(resolveBreakGlass(role, { durationSeconds: 601, justification: ' ' })).toEqual({
      ok: false,
      fields: [
        { field: 'duration', message: "exceeds the role's break-glass maxDuration of 10m" },
        { field: 'justification', message: 'is required for break-glass' },
      ],
    });
  });

  it('refuses a role without break-glass', () => {
    expect(resolveBreakGlass({ ...role, breakGlass: undefined }, { justification: 'x' })).toEqual({
      ok: false,
      fields: [{ field: 'role', message: 'has no break-glass' }],
    });
  });
});

describe('checkBreakGlassReviewer', () => {
  const context: PolicyContext = {
    policy: { separation: 'strict', admins: { groups: ['security'] }, roles: [role] },
    graph: IdentityGraph.build({ 'corp:alice-bot': 'corp:alice' }, []),
  };
  const activation = { requester: 'corp:alice', recipient: 'corp:alice' };
  const principal = (id: string, groups: string[] = []) => ({ id, groups });

  it('allows an approver of the role and an admin', () => {
    expect(
      checkBreakGlassReviewer(
        context,
        role,
        activation,
        principal('corp:bob', ['sre-leads']),
        false,
      ),
    ).toEqual({ allowed: true, rule: 'break_glass_review' });
    expect(
      checkBreakGlassReviewer(
        context,
        role,
        activation,
        principal('corp:dave', ['security']),
        true,
      ),
    ).toEqual({ allowed: true, rule: 'break_glass_review' });
  });

  it('refuses the one who broke the glass, and what it owns, even as an admin', () => {
    const self = checkBreakGlassReviewer(
      context,
      role,
      activation,
      principal('corp:alice', ['sre-leads']),
      true,
    );
    expect(self).toMatchObject({ allowed: false, code: 'separation_of_duties' });
    const bot = checkBreakGlassReviewer(
      context,
      role,
      activation,
      principal('corp:alice-bot', ['sre-leads']),
      false,
    );
    expect(bot).toMatchObject({ allowed: false, code: 'separation_of_duties' });
  });

  it('refuses anyone else', () => {
    expect(
      checkBreakGlassReviewer(context, role, activation, principal('corp:mallory'), false),
    ).toMatchObject({ allowed: false, code: 'not_eligible', reason: 'not_a_reviewer' });
  });
});
