import type { ErrorCode } from './errors.js';
import { DomainError } from './errors.js';

/**
 * The outcome of one policy rule. Every decision, allow or deny, is audited as
 * `policy.evaluated` with the rule that decided it.
 */
export type Decision =
  | { readonly allowed: true; readonly rule: string }
  | {
      readonly allowed: false;
      readonly rule: string;
      readonly code: ErrorCode;
      readonly reason: string;
      readonly message: string;
    };

export const allow = (rule: string): Decision => ({ allowed: true, rule });

export const deny = (rule: string, code: ErrorCode, reason: string, message: string): Decision => ({
  allowed: false,
  rule,
  code,
  reason,
  message,
});

/** The first refusal of a list of rules evaluated in order, or the last allow. */
export function firstRefusal(decisions: Iterable<() => Decision>): Decision {
  let last: Decision = allow('none');
  for (const evaluate of decisions) {
    last = evaluate();
    if (!last.allowed) return last;
  }
  return last;
}

export function refusalError(decision: Decision): DomainError {
  if (decision.allowed) throw new Error('refusalError called with an allowing decision');
  return new DomainError(decision.code, decision.message, { reason: decision.reason });
}
