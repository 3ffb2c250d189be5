import type { Decision } from './decision.js';
import { allow, deny } from './decision.js';
import { formatDuration } from './durations.js';
import type { FieldError } from './errors.js';
import type { OpenRequest, PolicyContext } from './access-rules.js';
import type { RoleDefinition } from './policy.js';
import { checkApprover } from './access-rules.js';
import type { Principal } from './principal.js';

/**
 * Whether the role allows break-glass, and the activation's duration and justification: a
 * justification is always required, and the duration is capped at the break-glass maximum.
 */
export function resolveBreakGlass(
  role: RoleDefinition,
  input: { durationSeconds?: number; justification?: string },
):
  | { ok: true; durationSeconds: number; justification: string }
  | { ok: false; fields: FieldError[] } {
  const policy = role.breakGlass;
  const fields: FieldError[] = [];
  if (!policy) return { ok: false, fields: [{ field: 'role', message: 'has no break-glass' }] };
  const durationSeconds =
    input.durationSeconds ?? Math.min(role.defaultDuration, policy.maxDuration);
  if (durationSeconds <= 0) {
    fields.push({ field: 'duration', message: 'must be positive' });
  } else if (durationSeconds > policy.maxDuration) {
    fields.push({
      field: 'duration',
      message: `exceeds the role's break-glass maxDuration of ${formatDuration(policy.maxDuration)}`,
    });
  }
  const justification = input.justification?.trim() ? input.justification : undefined;
  if (!justification)
    fields.push({ field: 'justification', message: 'is required for break-glass' });
  return fields.length > 0 || !justification
    ? { ok: false, fields }
    : { ok: true, durationSeconds, justification };
}

/**
 * Who may review an activation afterwards: a principal distinct from (and not linked to) the one
 * who broke the glass, as for an approval; the role's approvers, and the security team (admins).
 */
export function checkBreakGlassReviewer(
  context: PolicyContext,
  role: RoleDefinition,
  request: OpenRequest,
  reviewer: Principal,
  reviewerIsAdmin: boolean,
): Decision {
  const decision = checkApprover(context, role, request, reviewer);
  if (decision.allowed) return allow('break_glass_review');
  if (decision.reason === 'not_an_approver' && reviewerIsAdmin) return allow('break_glass_review');
  return decision.reason === 'not_an_approver'
    ? deny(
        'break_glass_review',
        'not_eligible',
        'not_a_reviewer',
        `only an approver of ${role.name} or an admin can review this`,
      )
    : decision;
}
