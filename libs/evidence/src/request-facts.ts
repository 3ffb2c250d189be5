import type { RoleDefinition, SeparationMode } from '#domain';
import { digestOf } from './canonical.js';

/** The narrowing of a role a request asked for (its `intent`), as approved. */
export interface IntentFacts {
  actions: string[];
  resource: string;
}

/**
 * What an approver approved: every field that decides what access results. An approval receipt
 * signs the digest of these facts, so a receipt cannot be moved to a request that differs in any.
 */
export interface RequestFacts {
  id: string;
  requester: string;
  recipient: string;
  /** The agent that asked on the recipient's behalf, if one did. */
  act: string | null;
  role: string;
  resource: string;
  intent: IntentFacts | null;
  durationSeconds: number;
  approvalsRequired: number;
  /** The grant an extension asks more time for; absent on any other request (digests unchanged). */
  extends?: string;
  policyHash: string;
}

/**
 * The policy that decided a request: the role as evaluated and the separation mode. The provider
 * appears by type only and a break-glass webhook by URL only: their settings hold secrets.
 */
export function policyFacts(separation: SeparationMode, role: RoleDefinition) {
  const { breakGlass } = role;
  return {
    separation,
    role: {
      ...role,
      provider: { type: role.provider.type },
      ...(breakGlass
        ? {
            breakGlass: {
              ...breakGlass,
              notify: {
                slack: breakGlass.notify.slack,
                ...(breakGlass.notify.webhook ? { webhook: breakGlass.notify.webhook.url } : {}),
              },
            },
          }
        : {}),
    },
  };
}

export function policyHashOf(separation: SeparationMode, role: RoleDefinition): string {
  return digestOf(policyFacts(separation, role));
}

export function requestDigest(facts: RequestFacts): string {
  return digestOf(facts);
}
