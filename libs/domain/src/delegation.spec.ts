import { checkDelegation } from './delegation.js';

describe('checkDelegation', () => {
  it('allows an agent the person delegated to', () => {
    expect(checkDelegation(['corp:alice'], 'corp:alice-bot', 'corp:alice')).toEqual({
      allowed: true,
      rule: 'delegation',
    });
  });

  it.each([
    ['no delegation at all', [], 'corp:alice-bot', 'corp:alice'],
    ['a delegation from someone else', ['corp:bob'], 'corp:alice-bot', 'corp:alice'],
    ['acting for itself', ['corp:alice-bot'], 'corp:alice-bot', 'corp:alice-bot'],
  ])('refuses %s', (_case, delegators, agent, person) => {
    expect(checkDelegation(delegators, agent, person)).toMatchObject({
      allowed: false,
      code: 'not_eligible',
      reason: 'not_delegated',
    });
  });
});
