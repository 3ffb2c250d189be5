import type { ProviderDefinition } from '#domain';
import { z } from 'zod';
import { aclRulesProblem } from './redis-acl-rules.js';
import { text } from './schema-parts.js';

/** Prefixes of the ACL users countersign owns. */
const USER_PREFIX = /^[a-z][a-z0-9_]{0,23}$/;

/** `provider: {type: redis}` (docs/providers.md#redis): one ACL user per grant. */
export const redisProvider = z
  .strictObject({
    type: z.literal('redis'),
    // Usually `${NAME}`: it may carry the broker's password. Never echoed.
    url: text.refine(isRedisUrl, 'must be a redis:// or rediss:// URL naming a host'),
    rules: text.superRefine((rules, ctx) => {
      const problem = aclRulesProblem(rules);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
    userPrefix: z
      .string()
      .regex(USER_PREFIX, 'lower-case letters, digits and _, starting with a letter, at most 24')
      .default('cs_'),
  })
  .transform((provider): ProviderDefinition => ({
    type: 'redis',
    url: provider.url,
    rules: provider.rules.trim().split(/\s+/).join(' '),
    userPrefix: provider.userPrefix,
  }));

function isRedisUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
}
