import type { PipeTransform } from '@nestjs/common';
import type { ZodType } from 'zod';
import type { FieldError } from '#domain';
import { invalidRequest } from '#domain';
import { fieldErrors, humanMessage } from './field-errors.js';

/**
 * Validates a body or query against a strict zod schema: unknown fields are failing fields, each
 * failing field named with what is wrong in words (field-errors.ts). A NUL
 * character is refused in every string first: no text we keep or show needs one, PostgreSQL cannot
 * store it, and it has cut strings short in more than one C library. So is a lone surrogate.
 */
export class ZodPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: ZodType<T>) {}

  transform(value: unknown): T {
    const unstorable = unstorableFields(value ?? {});
    if (unstorable.length > 0) throw invalidRequest(unstorable);
    const result = this.schema.safeParse(value ?? {}, { error: humanMessage });
    if (result.success) return result.data;
    throw invalidRequest(fieldErrors(result.error.issues));
  }
}

interface Visit {
  value: unknown;
  key?: string;
  parent?: Visit;
}

/**
 * Every string (or key) holding a NUL or a lone surrogate, by path. A loop, not recursion, and paths built only for
 * what is found, so no nesting depth can overflow the stack or cost more than one pass.
 */
function unstorableFields(value: unknown): FieldError[] {
  const found: FieldError[] = [];
  const pending: Visit[] = [{ value }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value === 'string') {
      const problem = unstorable(next.value);
      if (problem) found.push({ field: pathOf(next), message: `must not contain ${problem}` });
    } else if (next.value !== null && typeof next.value === 'object') {
      for (const [key, item] of Object.entries(next.value)) {
        const problem = unstorable(key);
        if (problem)
          found.push({ field: pathOf(next), message: `a key must not contain ${problem}` });
        pending.push({ value: item, key, parent: next });
      }
    }
    if (found.length >= MAX_REPORTED) break;
  }
  return found;
}

const MAX_REPORTED = 20;

// A lone surrogate (half of a UTF-16 pair) is not Unicode text: it cannot be stored as UTF-8 and
// RFC 8785, which the audit log's hashes use, refuses it.
const LONE_SURROGATE = /\p{Cs}/u;

function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return 'NUL';
  if (LONE_SURROGATE.test(text)) return 'a lone surrogate';
  return undefined;
}

function pathOf(visit: Visit): string {
  const keys: string[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) keys.push(at.key);
  return keys.length > 0 ? keys.reverse().join('.') : 'body';
}
