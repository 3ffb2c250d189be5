import { z } from 'zod';
import { PROVIDER_TYPES } from '#domain';
import type {
  ApprovalView,
  BreakGlassActivation,
  BreakGlassReviewView,
  ExtendedCredential,
  GrantView,
  Introspection,
  MintedCredential,
  RequestView,
  RoleView,
  ServiceAccountView,
} from '#access';

/**
 * The answers of the main routes, as schemas for the OpenAPI document. The routes return the
 * TypeScript views of libs/access, not these: so each schema is held to its view at compile time
 * (below), field for field, required for required, and test/e2e/openapi.e2e.spec.ts parses real
 * answers with them. Objects are open (no additionalProperties: false): the API may add fields.
 */

const instant = z.iso.datetime().meta({ description: 'an ISO 8601 instant' });
const principal = z.string().meta({ description: 'a principal id, <issuer>:<sub>' });

const approval = z.object({
  approver: principal,
  at: instant,
  comment: z.string().optional(),
  adminReach: z.literal(true).optional().meta({
    description: 'the approver held admin reach: alone, it does not complete a request',
  }),
});

const breakGlassReview = z.object({
  dueAt: instant,
  escalations: z.number().int(),
  reviewedBy: principal.optional(),
  reviewedAt: instant.optional(),
  comment: z.string().optional(),
});

export const requestView = z
  .object({
    id: z.uuid(),
    role: z.string(),
    resource: z.string(),
    intent: z.object({ actions: z.array(z.string()), resource: z.string() }).optional(),
    requester: principal,
    recipient: principal,
    onBehalfOf: principal.optional(),
    justification: z.string().optional(),
    duration: z.number().int().meta({ description: 'seconds' }),
    status: z.enum(['pending', 'approved', 'denied', 'cancelled', 'expired', 'issued']),
    createdAt: instant,
    approvals: z.array(approval),
    approvalsRequired: z.number().int(),
    decidedAt: instant.optional(),
    grantId: z.uuid().optional(),
    links: z.object({ web: z.string() }).optional(),
    breakGlass: z.literal(true).optional(),
    review: breakGlassReview.optional(),
    extends: z.uuid().optional().meta({ description: 'the grant this request extends' }),
    escalatedAt: instant.optional().meta({
      description: "when it was escalated: the role's escalateTo may decide it too",
    }),
  })
  .meta({ id: 'Request' });

export const grantView = z
  .object({
    id: z.uuid(),
    requestId: z.uuid(),
    role: z.string(),
    recipient: principal,
    issuedAt: instant,
    expiresAt: instant,
    status: z.enum(['active', 'revoked', 'expired']),
    endedAt: instant.optional(),
    revokedReason: z.string().optional(),
    overdue: z.literal(true).optional(),
    revocationFailures: z.number().int().optional(),
    breakGlass: z.literal(true).optional(),
  })
  .meta({ id: 'Grant' });

/** `type` picks the provider's shape: `jwt` has `token`, `postgres` connection details. */
const credential = z
  .looseObject({ type: z.string() })
  .meta({ id: 'Credential', description: 'jwt: {type, token}; other providers: other fields' });

export const mintAnswer = z
  .object({
    grantId: z.uuid(),
    expiresAt: instant,
    credential: credential.optional().meta({
      description: 'absent only when an extension keeps the login held (postgres)',
    }),
    extended: z.object({ from: instant }).optional().meta({
      description: 'redeeming an extension: the end it replaced',
    }),
  })
  .meta({ id: 'Minted' });

export const breakGlassActivation = z
  .object({
    requestId: z.uuid(),
    grantId: z.uuid(),
    expiresAt: instant,
    credential,
    breakGlass: z.object({ reviewDueAt: instant }),
  })
  .meta({ id: 'BreakGlassActivation' });

export const roleView = z
  .object({
    name: z.string(),
    resource: z.string(),
    actions: z.array(z.string()),
    maxDuration: z.number().int(),
    maxExtendedDuration: z.number().int(),
    defaultDuration: z.number().int(),
    approvalsRequired: z.number().int(),
    requireJustification: z.boolean(),
    provider: z.enum(PROVIDER_TYPES),
    requestable: z.boolean(),
    breakGlass: z
      .object({ maxDuration: z.number().int(), reviewWithin: z.number().int() })
      .optional(),
  })
  .meta({ id: 'Role' });

export const introspection = z
  .union([
    z.object({ active: z.literal(false) }),
    z.object({
      active: z.literal(true),
      sub: principal,
      aud: z.union([z.string(), z.array(z.string())]),
      exp: z.number().int(),
      iat: z.number().int(),
      jti: z.uuid(),
      role: z.string(),
      scope: z.string(),
      act: z.object({ sub: principal }).optional(),
    }),
  ])
  .meta({ id: 'Introspection' });

export const serviceAccountView = z
  .object({
    name: z.string(),
    principal: z.string(),
    owner: principal,
    description: z.string().optional(),
    groups: z.array(z.string()),
    status: z.enum(['active', 'disabled']),
    keyPrefix: z.string(),
    keyCreatedAt: instant,
    keyExpiresAt: instant.optional(),
    createdAt: instant,
    createdBy: principal,
    keyHolder: principal.optional(),
    disabledAt: instant.optional(),
    lastUsedAt: instant.optional(),
  })
  .meta({ id: 'ServiceAccount' });

export const serviceAccountWithKey = serviceAccountView
  .extend({ key: z.string().meta({ description: 'the API key, shown this once' }) })
  .meta({ id: 'ServiceAccountWithKey' });

/** A list answer: `nextCursor` absent on the last page. */
export function page<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z.string().optional().meta({ description: 'pass as cursor for the next page' }),
    })
    .meta({ id });
}

// Compile-time: each schema has exactly its view's fields, the same ones required; test/e2e/
// openapi.e2e.spec.ts parses real answers with them. A `false` here means a view gained or lost a
// field: describe it in the schema above. (An answer of several shapes is held to their fields.)
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type AllKeys<T> = T extends unknown ? keyof T : never;
type Matches<S extends z.ZodType, View> =
  Same<keyof z.output<S>, keyof View> extends true
    ? Same<RequiredKeys<z.output<S>>, RequiredKeys<View>>
    : false;
type HasFieldsOf<S extends z.ZodType, View> = Same<AllKeys<z.output<S>>, AllKeys<View>>;
const held: [
  Matches<typeof approval, ApprovalView>,
  Matches<typeof breakGlassReview, BreakGlassReviewView>,
  Matches<typeof requestView, RequestView>,
  Matches<typeof grantView, GrantView>,
  HasFieldsOf<typeof mintAnswer, MintedCredential | ExtendedCredential>,
  Matches<typeof breakGlassActivation, BreakGlassActivation>,
  Matches<typeof roleView, RoleView>,
  HasFieldsOf<typeof introspection, Introspection>,
  Matches<typeof serviceAccountView, ServiceAccountView>,
] = [true, true, true, true, true, true, true, true, true];
void held;
