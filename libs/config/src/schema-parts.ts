import { formatDuration, parseDuration } from '#domain';
import { z } from 'zod';
import { httpUrlProblem } from './http-url.js';

/** Bounds that keep a config file from growing without limit. */
export const LIMITS = {
  string: 512,
  list: 1000,
  entries: 10_000,
  roles: 200,
  issuers: 50,
  maxDuration: 365 * 86400,
} as const;

export const text = z.string().min(1).max(LIMITS.string);

/** A single word: no whitespace (actions are joined with spaces into `scope`). */
export const token = text.regex(/^\S+$/, 'must not contain whitespace');

export const groupName = text;

/** `<issuerName>:<sub>`; that the issuer is configured is checked once the issuers are known. */
export const principalId = text.refine((id) => id.indexOf(':') > 0 && !id.endsWith(':'), {
  message: 'expected a principal id <issuer>:<sub>',
});

export const httpUrl = text.superRefine((value, ctx) => {
  const problem = httpUrlProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: value });
});

export function list<T extends z.ZodType>(item: T, max: number = LIMITS.list) {
  return z.array(item).max(max);
}

export function boundedRecord<K extends z.ZodType<string>, V extends z.ZodType>(key: K, value: V) {
  return z.record(key, value).refine((record) => Object.keys(record).length <= LIMITS.entries, {
    message: `at most ${LIMITS.entries} entries`,
  });
}

const DURATION_FORMS = 'a duration like 30s, 15m, 1h, 1d, PT15M or a number of seconds';

/** A duration in any of the config's forms, converted to whole seconds within [min, max]. */
export function duration(min: number, max: number = LIMITS.maxDuration) {
  return z.unknown().transform((value, ctx) => {
    const seconds =
      typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${DURATION_FORMS}`, input: value });
      return z.NEVER;
    }
    if (seconds < min || seconds > max) {
      const range = `${formatDuration(min)} and ${formatDuration(max)}`;
      ctx.addIssue({ code: 'custom', message: `must be between ${range}`, input: value });
      return z.NEVER;
    }
    return seconds;
  });
}

export const selector = z.strictObject({
  groups: list(groupName).optional(),
  principals: list(principalId).optional(),
});
