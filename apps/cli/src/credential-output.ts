import type { Credential } from './api-types.js';
import { shellQuote } from './format.js';
import { terminalText } from './terminal-text.js';

const POSTGRES_VARIABLES: [string, string][] = [
  ['PGHOST', 'host'],
  ['PGPORT', 'port'],
  ['PGDATABASE', 'database'],
  ['PGUSER', 'username'],
  ['PGPASSWORD', 'password'],
];

/**
 * `creds --env`: shell exports for the credential types that have a conventional environment
 * (libpq's PG* variables; COUNTERSIGN_CREDENTIAL for a JWT, since COUNTERSIGN_TOKEN is the CLI's
 * own sign-in and a credential there would sign the next command in as a token the broker
 * refuses). Undefined for any other type.
 */
export function envExports(credential: Credential): string | undefined {
  const pairs: [string, unknown][] =
    credential.type === 'jwt'
      ? [['COUNTERSIGN_CREDENTIAL', credential.token]]
      : credential.type === 'postgres'
        ? POSTGRES_VARIABLES.map(([name, field]) => [name, credential[field]])
        : [];
  const present = pairs.filter(
    (pair): pair is [string, string | number] =>
      typeof pair[1] === 'string' || typeof pair[1] === 'number',
  );
  if (present.length === 0) return undefined;
  return `export ${present.map(([name, value]) => `${name}=${shellQuote(String(value))}`).join(' ')}\n`;
}

/**
 * The credential as a person reads it: a JWT or an SSH certificate alone on its line (ready to
 * save), other types as `field  value`, each value escaped like any text from the broker (--json
 * has the exact values).
 */
export function credentialText(credential: Credential): string {
  if (credential.type === 'jwt' && typeof credential.token === 'string') {
    return `${terminalText(credential.token)}\n`;
  }
  if (credential.type === 'ssh-certificate' && typeof credential.certificate === 'string') {
    return `${terminalText(credential.certificate)}\n`;
  }
  const fields = Object.entries(credential).filter(([key]) => key !== 'type');
  const width = Math.max(...fields.map(([key]) => key.length));
  return fields
    .map(
      ([key, value]) =>
        `${terminalText(key).padEnd(width)}  ${terminalText(typeof value === 'string' ? value : JSON.stringify(value))}`,
    )
    .join('\n')
    .concat('\n');
}

/**
 * A credential as `creds` and `break-glass activate` print it: alone (a JWT on one line), or with
 * `env` as shell exports. A type with no export form is shown as fields, with a note saying so,
 * rather than lost: it is minted once.
 */
export function credentialForm(
  credential: Credential,
  env: boolean,
): { text: string; note?: string } {
  const exports = env ? envExports(credential) : undefined;
  if (!env || exports) return { text: exports ?? credentialText(credential) };
  return {
    text: credentialText(credential),
    note: `no --env form for a ${terminalText(credential.type)} credential; shown as fields instead`,
  };
}
