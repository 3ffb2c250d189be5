import type { FieldError } from './errors.js';
import type { RoleDefinition } from './policy.js';
import { formatDuration } from './durations.js';

/** A request narrowed below its role: fewer actions, a resource under the role's. */
export interface Intent {
  readonly actions: readonly string[];
  readonly resource: string;
}

export interface ResolvedRequestInput {
  readonly durationSeconds: number;
  readonly justification?: string;
  readonly intent?: Intent;
}

export interface RequestInput {
  durationSeconds?: number;
  justification?: string;
  intent?: { actions: readonly string[]; resource?: string };
}

/**
 * Duration, justification and intent against the role: the failing fields, or the resolved
 * values.
 */
export function resolveRequestInput(
  role: RoleDefinition,
  input: RequestInput,
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
  const intent = input.intent && resolveIntent(role, input.intent, fields);
  return fields.length > 0
    ? { ok: false, fields }
    : { ok: true, value: { durationSeconds, justification, ...(intent ? { intent } : {}) } };
}

function resolveIntent(
  role: RoleDefinition,
  intent: NonNullable<RequestInput['intent']>,
  fields: FieldError[],
): Intent | undefined {
  const wider = intent.actions.filter((action) => !role.actions.includes(action));
  if (intent.actions.length === 0) {
    fields.push({ field: 'intent.actions', message: 'must name at least one action' });
  } else if (new Set(intent.actions).size !== intent.actions.length) {
    fields.push({ field: 'intent.actions', message: 'must not repeat an action' });
  } else if (wider.length > 0) {
    fields.push({
      field: 'intent.actions',
      message: `not among the role's actions (${role.actions.join(', ')}): ${wider.join(', ')}`,
    });
  }
  const resource = intent.resource ?? role.resource;
  if (!isWithinResource(role.resource, resource)) {
    fields.push({
      field: 'intent.resource',
      message: `must be ${role.resource} or a path under it`,
    });
  }
  // The role's own order, so that the same intent always reads (and signs) the same way.
  const actions = role.actions.filter((action) => intent.actions.includes(action));
  return { actions, resource };
}

const UNSAFE_RESOURCE = /[\s?#\\]|%2e|%2f|(^|\/)\.{1,2}(\/|$)/i;

/**
 * `narrower` is the role's resource itself or a path below it: the role's resource followed by
 * `/` and more segments. No dot segments, encoded dots or slashes, query or fragment, which a
 * resource server might resolve to somewhere else.
 */
export function isWithinResource(resource: string, narrower: string): boolean {
  if (narrower === resource) return true;
  const base = resource.endsWith('/') ? resource : `${resource}/`;
  if (!narrower.startsWith(base) || narrower.length === base.length) return false;
  return !UNSAFE_RESOURCE.test(narrower.slice(base.length));
}
