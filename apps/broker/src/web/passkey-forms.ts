import { z } from 'zod';
import { PASSKEY_NAME_MAX } from '#domain';
import { approveForm } from './forms.js';

const csrf = z.string().max(128);
// Typed names are checked in words by passkeyName (libs/domain); this only bounds the input.
const name = z.string().max(PASSKEY_NAME_MAX * 4);
const base64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/);

export const csrfOnlyJson = z.strictObject({ csrf });
export const renamePasskeyForm = z.strictObject({ csrf, name });

/**
 * A registration response as the page's script sends it (WebAuthn's RegistrationResponseJSON):
 * every field bounded; no other field accepted. The library verifies what the fields mean.
 */
export const registerPasskeyBody = z.strictObject({
  csrf,
  name,
  response: z.strictObject({
    id: base64url(1400),
    rawId: base64url(1400),
    type: z.literal('public-key'),
    clientExtensionResults: z.record(z.string().max(64), z.unknown()).default({}),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
    response: z.strictObject({
      clientDataJSON: base64url(4096),
      attestationObject: base64url(65536),
      transports: z
        .array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']))
        .max(8)
        .optional(),
    }),
  }),
});
export type RegisterPasskeyBody = z.infer<typeof registerPasskeyBody>;

/**
 * A signed approval as the request page's script sends it: the comment and the authenticator's
 * assertion (WebAuthn's AuthenticationResponseJSON), every field bounded, no other accepted.
 * ApprovalSignatures checks what the fields mean against the nonce it kept.
 */
export const signedApprovalBody = z.strictObject({
  csrf,
  // As the plain Approve form's: an empty comment is none.
  comment: approveForm.shape.comment,
  response: z.strictObject({
    id: base64url(1400),
    rawId: base64url(1400),
    type: z.literal('public-key'),
    clientExtensionResults: z.record(z.string().max(64), z.unknown()).default({}),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
    response: z.strictObject({
      clientDataJSON: base64url(4096),
      authenticatorData: base64url(4096),
      signature: base64url(2048),
      // At most 64 bytes by the WebAuthn spec.
      userHandle: base64url(128).optional(),
    }),
  }),
});
export type SignedApprovalBody = z.infer<typeof signedApprovalBody>;
