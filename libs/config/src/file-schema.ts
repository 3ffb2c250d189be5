import { MAX_ORIGIN_LENGTH, isTrustDomain, isValidOrigin } from '#domain';
import { z } from 'zod';
import { LOG_LEVELS } from './env.js';
import { approvalsSchema, roleSchema } from './role-schema.js';
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
  token,
} from './schema-parts.js';

export const ISSUER_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

const issuerName = z.string().regex(ISSUER_NAME, `must match ${String(ISSUER_NAME)}`);

/** An identity provider of people and other principals: `kind` may be left out (the default). */
const oidcIssuerSchema = z.strictObject({
  kind: z.literal('oidc').default('oidc'),
  name: issuerName,
  // Compared with a token's `iss` exactly, so kept as written.
  issuer: text,
  jwksUri: httpUrl,
  audience: text,
  groupsClaim: text.optional(),
});

/**
 * A SPIFFE trust domain whose JWT-SVIDs name workloads (docs/identity.md): its JWT bundle is a
 * JWKS served at `jwksUri` or kept in `bundleFile`, one of the two.
 */
const spiffeIssuerSchema = z
  .strictObject({
    kind: z.literal('spiffe'),
    name: issuerName,
    trustDomain: z
      .string()
      .refine(
        isTrustDomain,
        'expected a SPIFFE trust domain: lower-case letters, digits, ".", "-", "_"',
      ),
    jwksUri: httpUrl.optional(),
    bundleFile: text.optional(),
    audience: text,
  })
  .refine((issuer) => (issuer.jwksUri === undefined) !== (issuer.bundleFile === undefined), {
    message: 'give exactly one of jwksUri and bundleFile',
  });

const issuerSchema = z.discriminatedUnion('kind', [oidcIssuerSchema, spiffeIssuerSchema]);

const demoUserSchema = z.strictObject({
  name: text,
  sub: text,
  groups: list(groupName),
  description: text,
});

const SLACK_USER = /^[A-Z0-9]{1,32}\/[A-Z0-9]{1,32}$/;

/** docs/api.md §7. Secrets come from the environment through `${NAME}` interpolation. */
const slackSchema = z.strictObject({
  signingSecret: text,
  botToken: text,
  channel: token,
  apiUrl: httpUrl.default('https://slack.com/api/'),
  // "<team_id>/<user_id>" -> principal id; the issuer of each is checked with the other references.
  users: boundedRecord(
    z.string().regex(SLACK_USER, 'expected "<team_id>/<user_id>", e.g. "T0001/U0BOB"'),
    principalId,
  ).default({}),
});

/** An email address as a person would type it; at most 254 characters (RFC 5321). */
const emailAddress = z.email().max(254);

/**
 * Email notifications (docs/notifications.md): `smtp` is an `smtp://` or `smtps://` URL whose
 * password comes from `${NAME}`; it is never logged.
 */
const emailSchema = z.strictObject({
  smtp: text.refine((value) => {
    try {
      return ['smtp:', 'smtps:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'expected an smtp:// or smtps:// URL'),
  from: emailAddress,
});

/**
 * Web sign-in (docs/api.md §6): OpenID Connect code + PKCE against one of `auth.issuers`,
 * named here; that the name exists is checked with the other references.
 */
const webSignInSchema = z.strictObject({
  issuer: z.string().regex(ISSUER_NAME, `must match ${String(ISSUER_NAME)}`),
  clientId: text,
  clientSecret: text.optional(),
});

const SINK_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
// RFC 5424 APP-NAME: 1 to 48 printable US-ASCII characters, no space.
const SYSLOG_APP_NAME = /^[!-~]{1,48}$/;
// A DNS name or an IPv4/IPv6 address: no scheme, port, path or white space.
const SYSLOG_HOST = /^[A-Za-z0-9.:[\]-]{1,253}$/;
const MAX_AUDIT_SINKS = 16;

const sinkName = z.string().regex(SINK_NAME, `must match ${String(SINK_NAME)}`);

/** Where the integrated audit log is streamed (docs/audit-sinks.md), one delivery cursor each. */
const auditSinkSchema = z.discriminatedUnion('type', [
  z.strictObject({ name: sinkName, type: z.literal('file'), path: text }),
  z.strictObject({
    name: sinkName,
    type: z.literal('webhook'),
    url: httpUrl,
    // Usually `${NAME}`; short secrets make the HMAC guessable.
    secret: text.min(16),
    timeout: duration(1, 60).default(10),
  }),
  z.strictObject({
    name: sinkName,
    type: z.literal('syslog'),
    host: z.string().regex(SYSLOG_HOST, 'expected a host name or an IP address'),
    port: z.int().min(1).max(65535),
    appName: z
      .string()
      .regex(SYSLOG_APP_NAME, '1 to 48 printable ASCII characters, no space')
      .default('countersign'),
  }),
]);

const auditSinks = list(auditSinkSchema, MAX_AUDIT_SINKS).superRefine((sinks, ctx) => {
  const seen = new Set<string>();
  sinks.forEach(({ name }, i) => {
    if (seen.has(name)) {
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate name "${name}"` });
    }
    seen.add(name);
  });
});

/** The YAML file (docs/configuration.md). Objects are strict: an unknown field is an error. */
export const configFileSchema = z.strictObject({
  publicUrl: httpUrl.optional(),
  separation: z.enum(['strict', 'identity']).default('strict'),
  auth: z.strictObject({
    issuers: list(issuerSchema, LIMITS.issuers).min(1),
    web: webSignInSchema.optional(),
  }),
  // Accepted only from the built-in demo config (checked by parseConfig).
  demoUsers: list(demoUserSchema, 50).optional(),
  owners: boundedRecord(principalId, principalId).default({}),
  // Agent -> the people it may request on behalf of (`onBehalfOf`; RFC 8693 `act`).
  delegations: boundedRecord(principalId, list(principalId, 50).min(1)).default({}),
  aliases: list(list(principalId, 50).min(2), LIMITS.entries).default([]),
  directory: boundedRecord(principalId, list(groupName)).default({}),
  // The directory's email addresses; a verified token's `email` claim is used where none is given.
  emails: boundedRecord(principalId, emailAddress).default({}),
  // The log level of broker and worker alike; LOG_LEVEL overrides it.
  logLevel: z.enum(LOG_LEVELS).optional(),
  rateLimit: z
    .strictObject({
      perMinute: z.int().min(0).max(1_000_000).default(1200),
      // Failed authentications per client address; absent means 60 (the broker's default).
      unauthenticatedPerMinute: z.int().min(0).max(1_000_000).optional(),
    })
    .default({ perMinute: 1200 }),
  credentials: z
    .strictObject({
      issuer: text.optional(),
      algorithm: z.enum(['EdDSA', 'ES256']).default('EdDSA'),
    })
    .default({ algorithm: 'EdDSA' }),
  revocation: z
    .strictObject({
      sweepInterval: duration(1, 3600).default(30),
      // inline: the broker also runs the BullMQ revocation worker; external: apps/worker does.
      worker: z.enum(['inline', 'external']).default('inline'),
      // Redis key prefix of the revocation queue, so several installs can share one Redis.
      queuePrefix: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only')
        .default('countersign'),
    })
    .default({ sweepInterval: 30, worker: 'inline', queuePrefix: 'countersign' }),
  // The transparency log (docs/configuration.md): origin defaults to defaultOrigin(publicUrl).
  audit: z
    .strictObject({
      origin: z
        .string()
        .refine(
          isValidOrigin,
          `expected a non-empty line of at most ${MAX_ORIGIN_LENGTH} characters, no white space and no '+'`,
        )
        .optional(),
      // How often, at most, the log signs a checkpoint when it has grown.
      checkpointInterval: duration(1, 3600).default(10),
      // How often the worker verifies the whole log (one replica per interval on PostgreSQL).
      verifyInterval: duration(60, 86_400).default(3600),
      sinks: auditSinks.default([]),
    })
    .default({ checkpointInterval: 10, verifyInterval: 3600, sinks: [] }),
  slack: slackSchema.optional(),
  email: emailSchema.optional(),
  policy: z.strictObject({
    admins: selector.default({ groups: [] }),
    roles: list(roleSchema, LIMITS.roles),
    // Non-human principals that may approve, where they share no owner with the parties.
    approverBots: list(principalId, 100).default([]),
    // The signature every role's approvals need unless the role says (docs/identity.md).
    approvals: approvalsSchema.default({ signature: 'none' }),
  }),
});

export type ConfigFile = z.output<typeof configFileSchema>;
