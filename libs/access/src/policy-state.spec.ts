import { OwnershipCycleError } from '#domain';
import type { PolicySource } from './policy-state.js';
import { PolicyState } from './policy-state.js';

function source(owners: Record<string, string>): PolicySource {
  // Built apart from the return so that fields added to PolicySource later need no change here.
  const built = {
    policy: { separation: 'strict' as const, admins: { groups: ['security'] }, roles: [] },
    owners,
    delegations: {},
    aliases: [],
    directory: {},
  };
  return built;
}

describe('PolicyState ownership graph', () => {
  it('joins config owners with service-account owners, transitively', () => {
    const state = new PolicyState(source({ 'corp:alice-agent': 'local:alice-sa' }));
    expect(state.context.graph.owns('corp:alice', 'corp:alice-agent')).toBe(false);
    state.setServiceAccountOwners({ 'local:alice-sa': 'corp:alice' });
    expect(state.context.graph.owns('corp:alice', 'corp:alice-agent')).toBe(true);
    expect(state.hasServiceAccountOwner('local:alice-sa', 'corp:alice')).toBe(true);
    expect(state.hasServiceAccountOwner('local:alice-sa', 'corp:bob')).toBe(false);
  });

  it('keeps service-account owners across a config reload', () => {
    const state = new PolicyState(source({}));
    state.setServiceAccountOwners({ 'local:alice-sa': 'corp:alice' });
    state.replace(source({ 'corp:alice-agent': 'local:alice-sa' }));
    expect(state.context.graph.linked('corp:alice', 'corp:alice-agent')).toBe(true);
  });

  it('refuses owners that close a loop and keeps the graph in force', () => {
    const state = new PolicyState(
      source({ 'corp:alice': 'corp:alice-agent', 'corp:alice-agent': 'local:alice-sa' }),
    );
    expect(() => state.setServiceAccountOwners({ 'local:alice-sa': 'corp:alice' })).toThrow(
      OwnershipCycleError,
    );
    expect(state.hasServiceAccountOwner('local:alice-sa', 'corp:alice')).toBe(false);
    expect(state.context.graph.owns('corp:alice-agent', 'corp:alice')).toBe(true);
  });
});
