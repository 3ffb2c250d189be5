import type { FieldError } from './errors.js';
import type { RoleDefinition } from './policy.js';
import { formatDuration } from './durations.js';

export interface ResolvedRequestInput {
  readonly durationSeconds: number;
  readonly justification?: string;
}

/** Duration and justification against the role: the failing fields, or the resolved values. */
export function resolveRequestInput(
  role: RoleDefinition,
  input: { durationSeconds?: number; justification?: string },
): { ok: true; value: ResolvedRequestInput } | { ok: false; fields: FieldError[] } {
  const fields: FieldError[] = [];
  const durationSeconds = input.durationSeconds ?? role.defaultDuration;
  if (durationSeconds <= 0) {
    fields.push({ field: 'duration', message: 'must be positive' });
  } else if (durationSeconds > role.maxDuration) {
    fields.push({
      field: 'duration',
      message: `exceeds the role's maxDuration of ${formatDuration(role.maxDuration)}`,
    });
  }
  const justification = input.justification?.trim() ? input.justification : undefined;
  if (role.requireJustification && !justification) {
    fields.push({ field: 'justification', message: 'is required for this role' });
  }
  return fields.length > 0
    ? { ok: false, fields }
    : { ok: true, value: { durationSeconds, justification } };
}
