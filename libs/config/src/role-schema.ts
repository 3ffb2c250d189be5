import type { RoleDefinition } from '#domain';
import { formatDuration } from '#domain';
import { z } from 'zod';
import { providerSchema } from './provider-schema.js';
import { duration, httpUrl, list, selector, text, token } from './schema-parts.js';

export const ROLE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const FIFTEEN_MINUTES = 15 * 60;
const ONE_DAY = 24 * 3600;

const approvers = selector.refine(
  (s) => (s.groups?.length ?? 0) + (s.principals?.length ?? 0) > 0,
  { message: 'must name at least one group or principal' },
);

/** A role may allow break-glass (docs/break-glass.md); the webhook secret comes from `${NAME}`. */
const breakGlassSchema = z
  .strictObject({
    maxDuration: duration(1),
    reviewWithin: duration(60),
    escalateEvery: duration(60).optional(),
    notify: z
      .strictObject({
        slack: z.boolean().default(true),
        webhook: z.strictObject({ url: httpUrl, secret: text.min(16) }).optional(),
      })
      .default({ slack: true }),
  })
  .transform((breakGlass) => ({
    ...breakGlass,
    escalateEvery: breakGlass.escalateEvery ?? breakGlass.reviewWithin,
  }));

/** How an approval is given (docs/identity.md, "Signed approvals"): `passkey` asks for WebAuthn. */
export const approvalsSchema = z.strictObject({
  signature: z.enum(['none', 'passkey']).default('none'),
});

const roleFields = z.strictObject({
  name: z.string().regex(ROLE_NAME, `must match ${String(ROLE_NAME)}`),
  resource: token,
  actions: list(token, 100)
    .min(1)
    .refine((actions) => new Set(actions).size === actions.length, {
      message: 'must not repeat an action',
    }),
  maxDuration: duration(1),
  maxExtendedDuration: duration(1).optional(),
  defaultDuration: duration(1).optional(),
  redeemWithin: duration(1).default(FIFTEEN_MINUTES),
  requestTimeout: duration(1).default(ONE_DAY),
  requesters: selector,
  approvers,
  approvalsRequired: z.int().min(1).max(10).default(1),
  // Unset: the policy's default (`policy.approvals`), applied by the file schema.
  approvals: approvalsSchema.optional(),
  requireJustification: z.boolean().default(false),
  provider: providerSchema.default({ type: 'jwt' }),
  breakGlass: breakGlassSchema.optional(),
  revokeOnPolicyChange: z.boolean().default(false),
  // Follow-ups of a pending request and of a grant (docs/notifications.md).
  remindAfter: duration(60).optional(),
  escalateAfter: duration(60).optional(),
  escalateTo: approvers.optional(),
  warnBefore: duration(60).optional(),
});

type RoleFields = z.infer<typeof roleFields>;

/** The follow-up settings' own rules: each must be able to fire, escalation needs both halves. */
function followUpIssue(role: RoleFields): { path: string; message: string } | undefined {
  if ((role.escalateAfter === undefined) !== (role.escalateTo === undefined)) {
    const missing = role.escalateAfter === undefined ? 'escalateAfter' : 'escalateTo';
    return { path: missing, message: 'is required with escalateAfter and escalateTo alike' };
  }
  const timeout = formatDuration(role.requestTimeout);
  for (const field of ['remindAfter', 'escalateAfter'] as const) {
    const value = role[field];
    if (value !== undefined && value >= role.requestTimeout) {
      return { path: field, message: `must be shorter than requestTimeout (${timeout})` };
    }
  }
  if (role.warnBefore !== undefined && role.warnBefore >= role.maxDuration) {
    const max = formatDuration(role.maxDuration);
    return { path: 'warnBefore', message: `must be shorter than maxDuration (${max})` };
  }
  return undefined;
}

/** A role as written in YAML, turned into the domain's RoleDefinition with defaults applied. */
export const roleSchema = roleFields.transform((role, ctx): RoleDefinition => {
  const defaultDuration = role.defaultDuration ?? Math.min(FIFTEEN_MINUTES, role.maxDuration);
  if (defaultDuration > role.maxDuration) {
    ctx.addIssue({
      code: 'custom',
      path: ['defaultDuration'],
      message: `must not exceed maxDuration (${formatDuration(role.maxDuration)})`,
      input: role.defaultDuration,
    });
    return z.NEVER;
  }
  // Extensions add at most this much from the first issue; twice maxDuration unless configured.
  const maxExtendedDuration = role.maxExtendedDuration ?? 2 * role.maxDuration;
  if (maxExtendedDuration < role.maxDuration) {
    ctx.addIssue({
      code: 'custom',
      path: ['maxExtendedDuration'],
      message: `must be at least maxDuration (${formatDuration(role.maxDuration)})`,
      input: role.maxExtendedDuration,
    });
    return z.NEVER;
  }
  if (role.breakGlass && role.breakGlass.maxDuration > role.maxDuration) {
    ctx.addIssue({
      code: 'custom',
      path: ['breakGlass', 'maxDuration'],
      message: `must not exceed the role's maxDuration (${formatDuration(role.maxDuration)})`,
      input: role.breakGlass.maxDuration,
    });
    return z.NEVER;
  }
  const followUp = followUpIssue(role);
  if (followUp) {
    ctx.addIssue({
      code: 'custom',
      path: [followUp.path],
      message: followUp.message,
      input: role[followUp.path as keyof RoleFields],
    });
    return z.NEVER;
  }
  return {
    name: role.name,
    resource: role.resource,
    actions: role.actions,
    maxDuration: role.maxDuration,
    maxExtendedDuration,
    defaultDuration,
    redeemWithin: role.redeemWithin,
    requestTimeout: role.requestTimeout,
    requesters: role.requesters,
    approvers: role.approvers,
    approvalsRequired: role.approvalsRequired,
    // Present only when set, so that the policy hash of every other role stays what it was.
    ...(role.approvals ? { approvalSignature: role.approvals.signature } : {}),
    requireJustification: role.requireJustification,
    provider: role.provider,
    ...(role.breakGlass ? { breakGlass: role.breakGlass } : {}),
    revokeOnPolicyChange: role.revokeOnPolicyChange,
    ...(role.remindAfter === undefined ? {} : { remindAfter: role.remindAfter }),
    ...(role.escalateAfter === undefined || role.escalateTo === undefined
      ? {}
      : { escalation: { after: role.escalateAfter, to: role.escalateTo } }),
    ...(role.warnBefore === undefined ? {} : { warnBefore: role.warnBefore }),
  };
});
