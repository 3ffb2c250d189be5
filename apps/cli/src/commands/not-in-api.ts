import { CliError, ExitCode } from '../exit-codes.js';

/**
 * Commands the broker's HTTP API cannot serve yet (docs/cli.md "Not in the API yet"). They exist
 * so that someone typing them learns where to go instead of reading "unknown command".
 */
export function roles(): never {
  throw new CliError(ExitCode.error, 'the broker API has no endpoint that lists roles', {
    code: 'not_in_api',
    hint: "role names are in the broker's config (policy.roles); `countersign ls` shows the roles of requests you can see",
  });
}

export function keysRotate(): never {
  throw new CliError(ExitCode.error, 'the broker API has no endpoint to rotate signing keys', {
    code: 'not_in_api',
    hint: 'on the broker host, with its COUNTERSIGN_CONFIG and COUNTERSIGN_ENCRYPTION_KEY, run `npm run keys:rotate`',
  });
}
