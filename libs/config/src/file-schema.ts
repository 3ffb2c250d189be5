import { z } from 'zod';
import { roleSchema } from './role-schema.js';
import {
  LIMITS,
  boundedRecord,
  duration,
  groupName,
  httpUrl,
  list,
  principalId,
  selector,
  text,
} from './schema-parts.js';

export const ISSUER_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

const issuerSchema = z.strictObject({
  name: z.string().regex(ISSUER_NAME, `must match ${String(ISSUER_NAME)}`),
  // Compared with a token's `iss` exactly, so kept as written.
  issuer: text,
  jwksUri: httpUrl,
  audience: text,
  groupsClaim: text.optional(),
});

const demoUserSchema = z.strictObject({
  name: text,
  sub: text,
  groups: list(groupName),
  description: text,
});

/** The YAML file's shape (API.md §3). Every object is strict: an unknown field is an error. */
export const configFileSchema = z.strictObject({
  publicUrl: httpUrl.optional(),
  separation: z.enum(['strict', 'identity']).default('strict'),
  auth: z.strictObject({ issuers: list(issuerSchema, LIMITS.issuers).min(1) }),
  // Accepted only from the built-in demo config (checked by parseConfig).
  demoUsers: list(demoUserSchema, 50).optional(),
  owners: boundedRecord(principalId, principalId).default({}),
  aliases: list(list(principalId, 50).min(2), LIMITS.entries).default([]),
  directory: boundedRecord(principalId, list(groupName)).default({}),
  rateLimit: z
    .strictObject({ perMinute: z.int().min(0).max(1_000_000).default(1200) })
    .default({ perMinute: 1200 }),
  credentials: z
    .strictObject({
      issuer: text.optional(),
      algorithm: z.enum(['EdDSA', 'ES256']).default('EdDSA'),
    })
    .default({ algorithm: 'EdDSA' }),
  revocation: z
    .strictObject({ sweepInterval: duration(1, 3600).default(30) })
    .default({ sweepInterval: 30 }),
  policy: z.strictObject({
    admins: selector.default({ groups: [] }),
    roles: list(roleSchema, LIMITS.roles),
  }),
});

export type ConfigFile = z.output<typeof configFileSchema>;
