import type { z } from 'zod';
import { ConfigError, formatPath } from './config-error.js';

interface Problem {
  field: string;
  message: string;
}

/** One ConfigError for all of a failed parse's issues, named after the first bad field. */
export function toConfigError(error: z.ZodError): ConfigError {
  const problems = error.issues.flatMap(describe);
  const [first, ...rest] = problems;
  const more = rest.map((p) => `; ${p.field}: ${p.message}`).join('');
  return new ConfigError(first.field, first.message + more);
}

function describe(issue: z.core.$ZodIssue): Problem[] {
  const field = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      field: formatPath([...issue.path, key]),
      message: 'unknown field',
    }));
  }
  if (issue.code === 'invalid_key') {
    return [{ field, message: `bad key: ${issue.issues.map((i) => i.message).join(', ')}` }];
  }
  // Only whether a value was given is looked at, never the value: inputs may be secrets.
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [{ field, message: 'required' }];
  }
  return [{ field, message: issue.message }];
}
