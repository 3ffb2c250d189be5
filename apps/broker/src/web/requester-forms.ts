import { z } from 'zod';

// The requester's forms (docs/api.md §6), bounded like the API's bodies (apps/broker/src/api/
// schemas.ts). Browsers send empty inputs as empty strings: an empty optional field is absent.
const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));
const csrf = z.string().max(128);
const roleName = z.string().min(1).max(64);
const duration = z.string().trim().min(1).max(32);

/** Checked boxes: one value arrives as a string, several as a list. */
const actions = z
  .union([z.string().min(1).max(128), z.array(z.string().min(1).max(128)).max(100)])
  .optional()
  .transform((value) => (value === undefined ? undefined : [value].flat()));

export const requestRoleForm = z.strictObject({
  csrf,
  role: roleName,
  duration: optionalText(32),
  justification: optionalText(2000),
  actions,
  resource: optionalText(512),
});
export type RequestRoleForm = z.infer<typeof requestRoleForm>;

export const extendGrantForm = z.strictObject({
  csrf,
  duration,
  justification: optionalText(2000),
});
export type ExtendGrantForm = z.infer<typeof extendGrantForm>;

/** `GET /me/request?role=`: which role's form to show. */
export const roleFormQuery = z.strictObject({ role: roleName });
