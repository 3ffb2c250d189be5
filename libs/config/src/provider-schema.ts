import type { ProviderDefinition } from '#domain';
import { z } from 'zod';
import { duration, httpUrl, text } from './schema-parts.js';
import { mysqlProvider } from './mysql-provider-schema.js';
import { redisProvider } from './redis-provider-schema.js';
import { sshProvider } from './ssh-provider-schema.js';

/** A PostgreSQL identifier as written (quoted when used, so any case works); at most 63 bytes. */
const identifier = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'letters, digits, _ and $ only, not starting with a digit');

/** Prefixes of the login roles countersign owns: lower case, so names need no quoting by users. */
export const ROLE_PREFIX = /^[a-z][a-z0-9_]{0,23}$/;

const postgresProvider = z
  .strictObject({
    type: z.literal('postgres'),
    // Usually `${NAME}` from the environment: it carries the admin's password.
    connection: text,
    targetRole: identifier,
    host: text.optional(),
    port: z.int().min(1).max(65535).optional(),
    database: text.optional(),
    rolePrefix: z
      .string()
      .regex(ROLE_PREFIX, 'lower-case letters, digits and _, starting with a letter, at most 24')
      .default('cs_'),
  })
  .transform((provider, ctx): ProviderDefinition => {
    const url = postgresUrl(provider.connection);
    if (!url) {
      // The value is never echoed: it may hold a password.
      ctx.addIssue({
        code: 'custom',
        path: ['connection'],
        message: 'must be a postgres:// URL naming a host and a database',
      });
      return z.NEVER;
    }
    return {
      type: 'postgres',
      connection: provider.connection,
      targetRole: provider.targetRole,
      host: provider.host ?? url.hostname,
      port: provider.port ?? (url.port === '' ? 5432 : Number(url.port)),
      database: provider.database ?? decodeURIComponent(url.pathname.slice(1)),
      rolePrefix: provider.rolePrefix,
    };
  });

function postgresUrl(value: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const ok =
    (url.protocol === 'postgres:' || url.protocol === 'postgresql:') &&
    url.hostname !== '' &&
    url.pathname.length > 1;
  return ok ? url : undefined;
}

const webhookProvider = z.strictObject({
  type: z.literal('webhook'),
  url: httpUrl,
  // Usually `${NAME}`; short secrets make the HMAC guessable.
  secret: text.min(16),
  // Per attempt, in any duration form (`5s`); whole seconds.
  timeout: duration(1, 60).default(5),
});

/**
 * A role's `provider` (docs/providers.md): `jwt` (the default), `postgres`, `webhook`, `ssh`,
 * `redis` or `mysql`.
 */
export const providerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('jwt') }),
  postgresProvider,
  webhookProvider,
  sshProvider,
  redisProvider,
  mysqlProvider,
]);
