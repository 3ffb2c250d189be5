import { isAdmin } from './access-rules.js';
import type { Decision } from './decision.js';
import { allow, deny } from './decision.js';
import type { PolicyDefinition } from './policy.js';
import type { Principal } from './principal.js';

/**
 * Everything only admins (`policy.admins`) may do, with the words each refusal uses: one list, so
 * that every admin-only action is decided, refused and audited the same way, and a reader sees
 * them all in one screen. The key is the action a denying `policy.evaluated` event names.
 */
const ADMIN_ONLY = {
  'audit.read': 'only admins can read the audit log',
  'audit.verify': 'only admins can read the audit log',
  'policy.reload': 'only admins can reload the policy',
  'key.rotate': 'only admins can rotate signing keys',
  'service_account.create': 'only admins manage service accounts',
  'service_account.rotate': 'only admins manage service accounts',
  'service_account.disable': 'only admins manage service accounts',
  'passkey.revoke': 'only admins revoke another person’s passkey',
  // Answered 404 (a page a non-admin may not see does not exist); the message is only audited.
  'admin.pages': 'only admins see the security team’s pages',
} as const satisfies Record<string, string>;

export type AdminAction = keyof typeof ADMIN_ONLY;

/** May this principal take this admin-only action? Refused `forbidden` / `not_admin` otherwise. */
export function checkAdmin(
  policy: PolicyDefinition,
  principal: Principal,
  action: AdminAction,
): Decision {
  return isAdmin(policy, principal)
    ? allow('admins')
    : deny('admins', 'forbidden', 'not_admin', ADMIN_ONLY[action]);
}
