import { z } from 'zod';

// Browsers send empty inputs as empty strings: an empty optional field is an absent one.
const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));
const requiredText = (max: number) => z.string().trim().min(1).max(max);
const csrf = z.string().max(128);

export const approveForm = z.strictObject({ csrf, comment: optionalText(1000) });
export const denyForm = z.strictObject({ csrf, reason: requiredText(1000) });
export const csrfOnlyForm = z.strictObject({ csrf });
export const revokeForm = z.strictObject({ csrf, reason: requiredText(1000) });
export const demoSignInForm = z.strictObject({ csrf, user: requiredText(64) });
