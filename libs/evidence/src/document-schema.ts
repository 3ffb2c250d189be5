import { z } from 'zod';
import { MAX_PARTIES } from './bundle.js';

// The evidence document as the verifier accepts it: every object strict, so that a renamed,
// missing or extra field is a failure of its own rather than a crash or a silently ignored field.
const isoTime = z.string().max(64);
const id = z.string().max(512);
const sha256 = z.string().regex(/^sha256:[0-9a-f]{64}$/);

const auditEvent = z.strictObject({
  seq: z.int().positive(),
  id: id,
  at: isoTime,
  type: z.string().max(64),
  actor: id,
  requestId: id.optional(),
  grantId: id.optional(),
  data: z.record(z.string(), z.unknown()),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

// A proof names at most one hash per level of a tree of up to 2^53 leaves.
const MAX_PROOF_HASHES = 64;
const base64Hash = z.string().regex(/^[A-Za-z0-9+/]{43}=$/);

const logProof = z.strictObject({
  key: z.string().max(512),
  checkpoint: z.string().max(8192),
  inclusion: z
    .array(
      z.strictObject({
        seq: z.int().positive(),
        proof: z.array(base64Hash).max(MAX_PROOF_HASHES),
      }),
    )
    .max(10_000),
});

// WebAuthn's binary fields, base64url: a credential id is at most 1023 bytes (WebAuthn §5.1), and
// the rest allow an RSA-4096 key and signature and authenticator extensions with room to spare.
const base64url = (maxChars: number) =>
  z
    .string()
    .max(maxChars)
    .regex(/^[A-Za-z0-9_-]+$/);

const passkeySignature = z.strictObject({
  kind: z.literal('passkey'),
  nonce: z.string().max(128),
  rpId: z.string().max(253),
  origin: z.string().max(512),
  credentialId: base64url(1366),
  publicKey: base64url(4096),
  authenticatorData: base64url(4096),
  clientDataJSON: base64url(4096),
  signature: base64url(1024),
  registration: auditEvent,
  registrationInclusion: z.array(base64Hash).max(MAX_PROOF_HASHES).optional(),
});

const separation = z.strictObject({
  mode: z.enum(['strict', 'identity']),
  links: z
    .array(
      z.strictObject({
        between: z.tuple([id, id]),
        kind: z.enum(['alias', 'ownership', 'shared_owner', 'key_custody', 'delegation']),
      }),
    )
    .max((MAX_PARTIES * (MAX_PARTIES - 1)) / 2),
  keyHolders: z
    .record(id.regex(/^local:/), id)
    .refine((holders) => Object.keys(holders).length <= MAX_PARTIES, 'too many key holders'),
});

const bundle = z.strictObject({
  format: z.literal('countersign-evidence/v1'),
  issuer: z.string().max(512),
  generatedAt: isoTime,
  request: z.strictObject({
    id,
    requester: id,
    recipient: id,
    act: id.nullable(),
    role: z.string().max(64),
    resource: z.string().max(512),
    intent: z
      .strictObject({
        actions: z.array(z.string().max(128)).max(100),
        resource: z.string().max(512),
      })
      .nullable(),
    durationSeconds: z.int().positive(),
    approvalsRequired: z.int().min(0).max(10),
    extends: id.optional(),
    status: z.string().max(16),
    breakGlass: z.boolean(),
    justification: z.string().nullable(),
    createdAt: isoTime,
    decidedAt: isoTime.nullable(),
  }),
  policy: z
    .strictObject({ hash: sha256, approvedUnderThisPolicy: z.boolean(), definition: z.unknown() })
    .nullable(),
  approvals: z
    .array(
      z.strictObject({
        approver: id,
        at: isoTime,
        comment: z.string().nullable(),
        receipt: z.string().max(8192).nullable(),
        signature: passkeySignature.optional(),
      }),
    )
    .max(10),
  separation,
  issuance: z
    .strictObject({
      grantId: id,
      issuedAt: isoTime,
      expiresAt: isoTime,
      kid: z.string().max(128),
      recipient: id,
      approvers: z.array(id).max(10),
      extensions: z
        .array(
          z.strictObject({
            requestId: id,
            approvers: z.array(id).max(10),
            previousExpiresAt: isoTime,
            expiresAt: isoTime,
          }),
        )
        .max(1000)
        .optional(),
    })
    .nullable(),
  revocation: z
    .strictObject({ status: z.string().max(16), endedAt: isoTime, reason: z.string().nullable() })
    .nullable(),
  auditEvents: z.array(auditEvent).max(10_000),
  chainHead: z.strictObject({ seq: z.int().min(0), hash: z.string().regex(/^[0-9a-f]{64}$/) }),
  log: logProof.optional(),
});

export const evidenceDocumentSchema = z.strictObject({ bundle, seal: z.string().max(8192) });
