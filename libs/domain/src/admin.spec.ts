import type { AdminAction } from './admin.js';
import { checkAdmin } from './admin.js';
import type { PolicyDefinition } from './policy.js';
import type { Principal } from './principal.js';

const policy: PolicyDefinition = {
  separation: 'strict',
  admins: { groups: ['security'], principals: ['corp:root'] },
  roles: [],
};
const p = (id: string, ...groups: string[]): Principal => ({ id, groups });

describe('checkAdmin', () => {
  it.each<[string, Principal, AdminAction, string | null]>([
    ['an admin by group', p('corp:dave', 'security'), 'audit.read', null],
    ['an admin by principal', p('corp:root'), 'key.rotate', null],
    [
      'an admin with other groups too',
      p('corp:erin', 'sre-leads', 'security'),
      'policy.reload',
      null,
    ],
    [
      'a principal named like the group',
      p('corp:security'),
      'audit.verify',
      'only admins can read the audit log',
    ],
    ['no groups', p('corp:alice'), 'audit.read', 'only admins can read the audit log'],
    [
      'an approver',
      p('corp:bob', 'sre-leads'),
      'policy.reload',
      'only admins can reload the policy',
    ],
    [
      'a requester',
      p('corp:alice', 'engineering'),
      'key.rotate',
      'only admins can rotate signing keys',
    ],
    [
      'a service account’s owner',
      p('corp:alice'),
      'service_account.create',
      'only admins manage service accounts',
    ],
    [
      'a key holder',
      p('corp:alice'),
      'service_account.rotate',
      'only admins manage service accounts',
    ],
    [
      'anyone else',
      p('corp:mallory'),
      'service_account.disable',
      'only admins manage service accounts',
    ],
    [
      'a web session',
      p('corp:bob', 'sre-leads'),
      'admin.pages',
      'only admins see the security team’s pages',
    ],
  ])('%s: %p may %p -> %p', (_case, principal, action, message) => {
    const decision = checkAdmin(policy, principal, action);
    expect(decision.rule).toBe('admins');
    if (message === null) {
      expect(decision.allowed).toBe(true);
    } else {
      expect(decision).toEqual({
        allowed: false,
        rule: 'admins',
        code: 'forbidden',
        reason: 'not_admin',
        message,
      });
    }
  });

  it('refuses everyone when no admin is named', () => {
    const none: PolicyDefinition = { ...policy, admins: {} };
    expect(checkAdmin(none, p('corp:dave', 'security'), 'audit.read').allowed).toBe(false);
  });
});
