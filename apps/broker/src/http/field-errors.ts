import type { z } from 'zod';
import type { FieldError } from '#domain';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

/** More than this many failing fields says nothing more to a person, and costs bytes. */
const MAX_FIELDS = 20;

/**
 * zod's issues in words a person reads without knowing zod: `must be at most 2000 characters`,
 * not `too_big`. Used as the error map of every parse (ZodPipe), so a message a schema gives
 * itself (`must look like <issuer>:<sub>`) still wins.
 */
export function humanMessage(issue: RawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return Array.isArray(issue.input) && issue.expected !== 'array'
        ? `must be ${typeWords(issue.expected)}, not a list`
        : `must be ${typeWords(issue.expected)}`;
    case 'too_big':
      return tooBig(issue.origin, Number(issue.maximum), issue.inclusive !== false);
    case 'too_small':
      return tooSmall(issue.origin, Number(issue.minimum), issue.inclusive !== false);
    case 'invalid_format':
      return FORMATS[issue.format] ?? 'is not in the expected form';
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return 'is not a known field';
    case 'invalid_union':
      return issue.input === undefined ? 'is required' : unionMessage(issue.errors);
    case 'invalid_value':
      if (Array.isArray(issue.input)) return 'must be given once, not as a list';
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])}`
        : `must be one of: ${issue.values.map(String).join(', ')}`;
    case 'invalid_key':
      return 'has a key that is not allowed';
    case 'invalid_element':
      return 'has an item that is not allowed';
    case 'custom':
      return 'is not valid';
  }
}

/** One failing field per issue, and one per unknown key, each named by its path. */
export function fieldErrors(issues: readonly Issue[]): FieldError[] {
  const fields = issues.flatMap((issue): FieldError[] =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: pathName([...issue.path, key]), message: issue.message }))
      : [{ field: pathName(issue.path), message: issue.message }],
  );
  return fields.slice(0, MAX_FIELDS);
}

/** `intent.actions[2]`; the body itself when the path is empty. */
function pathName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  return path
    .map((key, index) =>
      typeof key === 'number' ? `[${key}]` : `${index > 0 ? '.' : ''}${String(key)}`,
    )
    .join('');
}

const TYPES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'null',
};

function typeWords(expected: string): string {
  return TYPES[expected] ?? expected;
}

const FORMATS: Readonly<Record<string, string>> = {
  uuid: 'must be a UUID',
  guid: 'must be a UUID',
  datetime: 'must be an ISO 8601 instant with an offset, e.g. 2026-01-31T09:00:00Z',
  email: 'must be an email address',
  url: 'must be a URL',
};

function tooBig(origin: string, maximum: number, inclusive: boolean): string {
  if (origin === 'string') return `must be at most ${maximum} characters`;
  if (origin === 'array' || origin === 'set') return `must have at most ${maximum} items`;
  return inclusive ? `must be at most ${maximum}` : `must be less than ${maximum}`;
}

function tooSmall(origin: string, minimum: number, inclusive: boolean): string {
  if (origin === 'string') {
    return minimum <= 1 ? 'must not be empty' : `must be at least ${minimum} characters`;
  }
  if (origin === 'array' || origin === 'set') {
    return minimum <= 1 ? 'must not be empty' : `must have at least ${minimum} items`;
  }
  return inclusive ? `must be at least ${minimum}` : `must be greater than ${minimum}`;
}

/**
 * A union (a duration is a string or a number of seconds): when the value had one of the types
 * but failed that branch's checks, that branch's words; when it had none, the types it may have.
 */
function unionMessage(branches: readonly (readonly Issue[])[]): string {
  const typeOnly = (issues: readonly Issue[]) =>
    issues.length > 0 && issues.every((issue) => issue.code === 'invalid_type');
  const matched = branches.find((issues) => issues.length > 0 && !typeOnly(issues));
  if (matched) return matched[0].message;
  const expected = branches.flatMap((issues) =>
    issues.flatMap((issue) => (issue.code === 'invalid_type' ? [typeWords(issue.expected)] : [])),
  );
  return expected.length > 0 ? `must be ${[...new Set(expected)].join(' or ')}` : 'is not valid';
}
