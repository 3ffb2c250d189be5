import { ConfigError, formatPath } from './config-error.js';

type Env = Record<string, string | undefined>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// `$${` is an escaped literal `${`; `${NAME}` a reference; a `${` that closes badly is an error.
const TOKEN = /\$\$\{|\$\{([^}]*)\}|\$\{/g;

/**
 * Replaces `${NAME}` in every string value (not keys) with env[NAME], so secrets stay out of the
 * file. A variable that is unset or empty is an error naming the field, never an empty string.
 */
export function interpolate(value: unknown, env: Env, path: PropertyKey[] = []): unknown {
  if (typeof value === 'string') return substitute(value, env, path);
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, [...path, i]));
  if (value !== null && typeof value === 'object') {
    // Object.fromEntries defines own properties, so a `__proto__` key stays plain data.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, env, [...path, key])]),
    );
  }
  return value;
}

function substitute(text: string, env: Env, path: PropertyKey[]): string {
  return text.replace(TOKEN, (match: string, name: string | undefined) => {
    if (match === '$${') return '${';
    if (name === undefined || !NAME.test(name)) {
      throw new ConfigError(
        formatPath(path),
        'malformed ${...} reference (write $${ for a literal)',
      );
    }
    const replacement = env[name];
    if (replacement === undefined || replacement === '') {
      throw new ConfigError(formatPath(path), `environment variable ${name} is not set`);
    }
    return replacement;
  });
}
