import type { Decision } from './decision.js';
import { allow, deny } from './decision.js';

/**
 * May `agent` request on behalf of `person`? Only where `person` delegated to it in the
 * config. The credential then names the person as `sub` and the agent as `act.sub` (RFC 8693).
 */
export function checkDelegation(
  delegatorsOfAgent: readonly string[],
  agent: string,
  person: string,
): Decision {
  if (agent !== person && delegatorsOfAgent.includes(person)) return allow('delegation');
  return deny(
    'delegation',
    'not_eligible',
    'not_delegated',
    `${agent} may not act on behalf of ${person}: no such delegation`,
  );
}
