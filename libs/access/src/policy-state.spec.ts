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

const links = (owners: Record<string, string>, keyHolders: Record<string, string> = {}) => ({
  owners,
  keyHolders,
});

describe('PolicyState ownership graph', () => {
  it('joins config owners with service-account owners, transitively', () => {
    const state = new PolicyState(source({ 'corp:alice-agent': 'local:alice-sa' }));
    expect(state.context.graph.owns('corp:alice', 'corp:alice-agent')).toBe(false);
    state.setServiceAccountLinks(links({ 'local:alice-sa': 'corp:alice' }));
    expect(state.context.graph.owns('corp:alice', 'corp:alice-agent')).toBe(true);
    expect(state.hasServiceAccountLinks('local:alice-sa', 'corp:alice', null)).toBe(true);
    expect(state.hasServiceAccountLinks('local:alice-sa', 'corp:bob', null)).toBe(false);
  });

  it('keeps service-account owners across a config reload', () => {
    const state = new PolicyState(source({}));
    state.setServiceAccountLinks(links({ 'local:alice-sa': 'corp:alice' }));
    state.replace(source({ 'corp:alice-agent': 'local:alice-sa' }));
    expect(state.context.graph.linked('corp:alice', 'corp:alice-agent')).toBe(true);
  });

  it('refuses owners that close a loop and keeps the graph in force', () => {
    const state = new PolicyState(
      source({ 'corp:alice': 'corp:alice-agent', 'corp:alice-agent': 'local:alice-sa' }),
    );
    expect(() => state.setServiceAccountLinks(links({ 'local:alice-sa': 'corp:alice' }))).toThrow(
      OwnershipCycleError,
    );
    expect(state.hasServiceAccountLinks('local:alice-sa', 'corp:alice', null)).toBe(false);
    expect(state.context.graph.owns('corp:alice-agent', 'corp:alice')).toBe(true);
  });

  it('links a service account to whoever holds its key, and an agent to its delegators', () => {
    const state = new PolicyState({
      ...source({}),
      delegations: { 'corp:agent': ['corp:carol'] },
    });
    state.setServiceAccountLinks(links({ 'local:ci': 'corp:alice' }, { 'local:ci': 'corp:dave' }));
    expect(state.context.graph.linkBetween('corp:dave', 'local:ci')).toBe('key_custody');
    expect(state.context.graph.owns('corp:dave', 'local:ci')).toBe(false);
    expect(state.context.graph.linkBetween('corp:carol', 'corp:agent')).toBe('delegation');
    expect(state.hasServiceAccountLinks('local:ci', 'corp:alice', 'corp:dave')).toBe(true);
    expect(state.hasServiceAccountLinks('local:ci', 'corp:alice', 'corp:erin')).toBe(false);
  });
});
