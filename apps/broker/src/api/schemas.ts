import { z } from 'zod';
import { decodeCursor } from '#persistence';

// Bounds on every input: ids are UUIDs, names short, free text at most a few KB.
const principalId = z
  .string()
  .min(3)
  .max(512)
  .regex(/^[^:\s]+:\S+$/, 'must look like <issuer>:<sub>');
const duration = z.union([
  z.string().min(1).max(32),
  z
    .number()
    .int()
    .positive()
    .max(10 * 365 * 86400),
]);
const freeText = (max: number) => z.string().min(1).max(max);
/** An `ssh` role's mint or break-glass: the OpenSSH public key to certify, parsed by the route. */
const sshPublicKey = z
  .string()
  .min(1)
  .max(16_384)
  .meta({ description: 'an ssh role only: the OpenSSH public key to certify' });
const booleanFlag = z.enum(['true', 'false']).transform((value) => value === 'true');
const limit = z.coerce.number().int().min(1).max(200).default(50);
// A cursor that does not decode is refused: silently restarting at page 1 would loop a client.
const cursor = z
  .string()
  .min(1)
  .max(200)
  .refine((value) => decodeCursor(value) !== undefined, 'not a cursor from a previous page');

export const createRequestBody = z
  .object({
    role: z.string().min(1).max(64),
    duration: duration.optional(),
    justification: freeText(2000).optional(),
    recipient: principalId.optional(),
    onBehalfOf: principalId.optional(),
    intent: z
      .object({
        actions: z.array(z.string().min(1).max(128)).max(100),
        resource: z.string().min(1).max(512).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const breakGlassBody = z
  .object({
    role: z.string().min(1).max(64),
    duration: duration.optional(),
    justification: freeText(2000),
    sshPublicKey: sshPublicKey.optional(),
  })
  .strict();
export const reviewBody = z.object({ comment: freeText(1000).optional() }).strict();

export const approveBody = z.object({ comment: freeText(1000).optional() }).strict();
export const denyBody = z.object({ reason: freeText(1000) }).strict();
export const emptyBody = z.object({}).strict();
/** The mint body: empty, or for an `ssh` role the recipient's OpenSSH public key. */
export const mintBody = z.object({ sshPublicKey: sshPublicKey.optional() }).strict();
export type MintBody = z.infer<typeof mintBody>;
export const revokeBody = z.object({ reason: freeText(1000) }).strict();
/** More time on a grant (docs/api.md "Extending a grant"): how much, and why. */
export const extendBody = z.object({ duration, justification: freeText(2000).optional() }).strict();
export const introspectBody = z
  .object({
    token: z
      .string()
      .min(1)
      .max(16 * 1024),
  })
  .strict();

export const requestListQuery = z
  .object({
    status: z.enum(['pending', 'approved', 'denied', 'cancelled', 'expired', 'issued']).optional(),
    role: z.string().min(1).max(64).optional(),
    mine: booleanFlag.optional(),
    toApprove: booleanFlag.optional(),
    breakGlass: booleanFlag.optional(),
    unreviewed: booleanFlag.optional(),
    cursor: cursor.optional(),
    limit,
  })
  .strict();

export const grantListQuery = z
  .object({
    status: z.enum(['active', 'revoked', 'expired']).optional(),
    overdue: booleanFlag.optional(),
    cursor: cursor.optional(),
    limit,
  })
  .strict();

const instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

export const auditQuery = z
  .object({
    type: z.string().min(1).max(64).optional(),
    actor: z.string().min(1).max(512).optional(),
    requestId: z.uuid().optional(),
    since: instant.optional(),
    until: instant.optional(),
    cursor: z
      .string()
      .regex(/^\d{1,15}$/)
      .transform(Number)
      .optional(),
    limit,
  })
  .strict();

export type CreateRequestBody = z.infer<typeof createRequestBody>;
export type BreakGlassBody = z.infer<typeof breakGlassBody>;
export type ExtendBody = z.infer<typeof extendBody>;
export type RequestListQuery = z.infer<typeof requestListQuery>;
export type GrantListQuery = z.infer<typeof grantListQuery>;
export type AuditQuery = z.infer<typeof auditQuery>;

/** A tree size or leaf number in a query string: a decimal integer, no sign, no leading zeros. */
const treeCount = (min: number) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,14})$/, 'expected a decimal integer')
    .transform(Number)
    .pipe(z.number().int().min(min));

export const inclusionProofQuery = z.strictObject({ seq: treeCount(1), size: treeCount(1) });
export type InclusionProofQuery = z.infer<typeof inclusionProofQuery>;

export const consistencyProofQuery = z.strictObject({ from: treeCount(0), to: treeCount(0) });
export type ConsistencyProofQuery = z.infer<typeof consistencyProofQuery>;
