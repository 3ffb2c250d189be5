import type { Command, Option } from 'commander';
import { activate, listActivations, review } from './commands/break-glass.js';
import {
  createAccount,
  disableAccount,
  listAccounts,
  rotateAccount,
  showAccount,
} from './commands/service-accounts.js';
import type { Act } from './context.js';
import { parseAccountName, parseId, parseRequestDuration } from './parse.js';

/**
 * The command groups beyond requesting and approving: break-glass (activate, list, review) and
 * service accounts. Registered by buildProgram with its `act` and `--limit` option.
 */

export function addBreakGlassCommands(program: Command, act: Act, limit: () => Option): void {
  const breakGlass = program
    .command('break-glass')
    .description('access at once without an approval, reviewed afterwards (docs/break-glass.md)');
  breakGlass
    .command('activate')
    .description('get a credential for yourself now; the security team is alerted')
    .argument('<role>', 'a role that allows break-glass (see `countersign roles`)')
    .requiredOption('--reason <text>', 'why: the incident, in words (always required)')
    .option(
      '--for <duration>',
      'how long (at most the role’s break-glass maximum)',
      parseRequestDuration,
    )
    .option('--env', 'print shell exports, as `creds --env` does')
    .option('--ssh-key <file>', 'an ssh role: the public key to certify, as `creds --ssh-key`')
    .action(act(activate));
  breakGlass
    .command('ls')
    .description('activations you may see, newest first, with where each review stands')
    .option('--unreviewed', 'only those whose review is still owed')
    .addOption(limit())
    .action(act(listActivations));
  const reviewCommand = (parent: Command, name: string) =>
    parent
      .command(name)
      .description(
        'review a break-glass activation someone else made (approvers of the role, admins)',
      )
      .argument('<id>', 'the activation’s request id', parseId)
      .option('--comment <text>', 'a comment recorded with the review')
      .action(act(review));
  reviewCommand(breakGlass, 'review');
  // The security team's everyday word for it: `countersign review <id>`.
  reviewCommand(program, 'review');
}

export function addServiceAccountCommands(program: Command, act: Act, limit: () => Option): void {
  const accounts = program
    .command('service-accounts')
    .alias('sa')
    .description('service accounts with API keys (admins change them; docs/identity.md)');
  const keyExpiresIn = '--key-expires-in <duration>';
  accounts
    .command('create')
    .description('create one; its API key is printed once, alone on stdout')
    .argument('<name>', 'lower-case letters, digits and -', parseAccountName)
    .requiredOption('--owner <principal>', 'the person answerable for it (<issuer>:<sub>)')
    .option('--description <text>', 'what it is for')
    .option('--group <group...>', 'groups it belongs to (repeat or list)')
    .option(
      keyExpiresIn,
      'the key stops working after this long (default: never)',
      parseRequestDuration,
    )
    .action(act(createAccount));
  accounts
    .command('ls')
    .description('every service account (admins), or those you own')
    .addOption(limit())
    .action(act(listAccounts));
  accounts
    .command('show')
    .description('one service account (admins, its owner)')
    .argument('<name>', 'its name', parseAccountName)
    .action(act(showAccount));
  accounts
    .command('rotate')
    .description('replace its API key (the old one stops now); the new key is printed once')
    .argument('<name>', 'its name', parseAccountName)
    .option(keyExpiresIn, 'the new key stops working after this long', parseRequestDuration)
    .action(act(rotateAccount));
  accounts
    .command('disable')
    .description('disable it and its key, for good')
    .argument('<name>', 'its name', parseAccountName)
    .action(act(disableAccount));
}
