import { Command, InvalidArgumentError, Option } from 'commander';
import { auditList, verify } from './commands/audit.js';
import { grant, grants, revoke } from './commands/grants.js';
import { evidence, verifyEvidenceFile } from './commands/evidence.js';
import { extend } from './commands/extend.js';
import { keysRotate } from './commands/keys.js';
import { approve, cancel, creds, deny, list, request, show, wait } from './commands/requests.js';
import { roles } from './commands/roles.js';
import { addBreakGlassCommands, addServiceAccountCommands } from './security-commands.js';
import { login, logout, whoami } from './commands/session.js';
import type { Act, CliIo, Outcome } from './context.js';
import { Context } from './context.js';
import { usageError } from './exit-codes.js';
import {
  instantParser,
  normalizeUrl,
  parseCount,
  parseDurationOption,
  parseId,
  parseIssuerUrl,
  parseRequestDuration,
} from './parse.js';
import { terminalText } from './terminal-text.js';
import { TokenStore, credentialsPath } from './token-store.js';
import { cliVersion } from './version.js';

export const DEFAULT_URL = 'http://localhost:3000';

interface GlobalOptions {
  url?: string;
  json?: boolean;
}

/** The command tree. Each action hands its Outcome to `done`; run() prints it. */
export function buildProgram(io: CliIo, done: (outcome: Outcome) => void): Command {
  const program = new Command('countersign')
    .description(
      'Request, approve and use short-lived privileged access through a countersign broker.',
    )
    .option('--url <url>', `broker URL (env COUNTERSIGN_URL; default ${DEFAULT_URL})`, (value) => {
      const url = normalizeUrl(value);
      if (!url)
        throw new InvalidArgumentError(
          'expected an http(s) URL such as https://countersign.example.com',
        );
      return url;
    })
    .option('--json', 'print exactly one JSON document on stdout (errors as JSON on stderr)')
    .version(cliVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      // Help and usage: our own words, but they may quote the command line back.
      writeOut: (text) => io.stdout.write(terminalText(text, 'output')),
      writeErr: (text) => io.stderr.write(terminalText(text, 'output')),
      // run() reports errors itself, as text or JSON.
      outputError: () => undefined,
    });

  const act: Act =
    (handler) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args.at(-1) as Command;
      const ctx = contextFor(io, command.optsWithGlobals<GlobalOptions>());
      const positional = args.slice(0, -1) as never[];
      done(await handler(ctx, ...positional));
    };
  const timeout = (prefix: string) =>
    new Option('--timeout <duration>', `${prefix}give up after this long (exit 13)`).argParser(
      parseDurationOption,
    );
  const interval = (prefix: string) =>
    new Option('--interval <duration>', `${prefix}how often to check`)
      .argParser(parseDurationOption)
      .default(2000, '2s');
  const limit = () =>
    new Option('--limit <n>', 'show at most n items (pages are followed)')
      .argParser(parseCount)
      .default(100);

  program
    .command('login')
    .description(
      'store a token for the broker (--token, piped on stdin, --demo, or an OIDC device flow)',
    )
    .option('--token <jwt>', 'a bearer token from a trusted issuer (or pipe it on stdin)')
    .option('--demo <user>', "fetch a demo user's token (brokers running the demo config)")
    .option('--issuer <url>', 'sign in with the OIDC device flow at this issuer', parseIssuerUrl)
    .option('--client-id <id>', 'the OIDC client id for --issuer')
    .option('--scope <scopes>', 'scopes for --issuer', 'openid')
    .option('--id-token', 'store the ID token instead of the access token (--issuer)')
    .option('--no-verify', 'store without checking that the broker accepts the token')
    .action(act(login));
  program
    .command('logout')
    .description('forget the stored token for the broker')
    .action(act(logout));
  program
    .command('whoami')
    .description('who the token in use names, and whether the broker accepts it')
    .action(act(whoami));
  program
    .command('roles')
    .description('the roles you may request, with their limits (admins: every role)')
    .action(act(roles));

  program
    .command('request')
    .description('ask for a role; --wait returns when it is approved, denied or expired')
    .argument('<role>', 'the role to request')
    .option(
      '--for <duration>',
      "how long (30m, 1h, PT15M); default: the role's default",
      parseRequestDuration,
    )
    .option('--reason <text>', 'the justification')
    .option('--recipient <principal>', 'a non-human principal you own (default: you)')
    .option('--wait', 'wait until the request is decided (progress on stderr)')
    .addOption(timeout('with --wait: '))
    .addOption(interval('with --wait: '))
    .option('-q, --quiet', 'print only the request id')
    .action(act(request));
  program
    .command('wait')
    .description('wait until a request is approved, denied or expired (exit 0, 10, 11, 12)')
    .argument('<id>', 'request id', parseId)
    .addOption(timeout(''))
    .addOption(interval(''))
    .action(act(wait));
  program
    .command('ls')
    .description('list requests you can see, newest first')
    .addOption(
      new Option('--status <status>').choices([
        'pending',
        'approved',
        'denied',
        'cancelled',
        'expired',
        'issued',
      ]),
    )
    .option('--role <role>', 'only this role')
    .option('--mine', 'only requests you made')
    .option('--to-approve', 'only requests waiting for your approval')
    .addOption(limit())
    .action(act(list));
  program
    .command('show')
    .description('a request with its approvals')
    .argument('<id>', 'request id', parseId)
    .action(act(show));
  program
    .command('approve')
    .description('approve a request')
    .argument('<id>', 'request id', parseId)
    .option('--comment <text>', 'a comment recorded with the approval')
    .action(
      act((ctx, id: string, options: { comment?: string }) => approve(ctx, id, options.comment)),
    );
  program
    .command('deny')
    .description('deny a request')
    .argument('<id>', 'request id', parseId)
    .requiredOption('--reason <text>', 'why')
    .action(act((ctx, id: string, options: { reason: string }) => deny(ctx, id, options.reason)));
  program
    .command('cancel')
    .description('cancel your own pending request')
    .argument('<id>', 'request id', parseId)
    .action(act(cancel));
  program
    .command('creds')
    .description('mint the credential of an approved request (once) and print it')
    .argument('<id>', 'request id', parseId)
    .option('--env', 'print shell exports (PG* for postgres, COUNTERSIGN_CREDENTIAL for jwt)')
    .option('--ssh-key <file>', 'an ssh role: the public key to certify (~/.ssh/id_ed25519.pub)')
    .action(act(creds));

  program
    .command('grants')
    .description('grants: all of them for admins, your own otherwise')
    .addOption(new Option('--status <status>').choices(['active', 'revoked', 'expired']))
    .option('--overdue', 'only grants past expiry whose revocation is late')
    .addOption(limit())
    .action(act(grants));
  program
    .command('grant')
    .description('one grant')
    .argument('<id>', 'grant id', parseId)
    .action(act(grant));
  program
    .command('revoke')
    .description('end a grant now')
    .argument('<grantId>', 'grant id', parseId)
    .requiredOption('--reason <text>', 'why')
    .action(act((ctx, id: string, options: { reason: string }) => revoke(ctx, id, options.reason)));
  program
    .command('extend')
    .description('ask for more time on a grant you hold: a request approved like any other')
    .argument('<grantId>', 'grant id', parseId)
    .requiredOption('--duration <duration>', 'how much more (30m, 1h, PT15M)', parseRequestDuration)
    .option('--justification <text>', 'why')
    .option('--wait', 'wait until the extension is decided (progress on stderr)')
    .addOption(timeout('with --wait: '))
    .addOption(interval('with --wait: '))
    .option('-q, --quiet', 'print only the request id')
    .action(act(extend));

  addBreakGlassCommands(program, act, limit);
  addServiceAccountCommands(program, act, limit);

  const audit = program.command('audit').description('the hash-chained audit log (admins)');
  audit
    .command('verify')
    .description(
      'check the audit log on the broker and here: hash chain, Merkle tree, signed checkpoint (exit 14 if broken)',
    )
    .option(
      '--checkpoint <file>',
      'a checkpoint saved by an earlier run: prove the log only grew since, then save the new one',
    )
    .option(
      '--log-key <file|url>',
      "the audit log's keys, one a line, kept outside the broker (default: <broker>/.well-known/countersign-log-keys)",
    )
    .action(act(verify));
  const instant = instantParser(Date.now);
  audit
    .command('ls')
    .description('audit events, oldest first')
    .option('--type <type>', 'event type, e.g. approval.refused')
    .option('--actor <principal>', 'who did it')
    .option('--request <id>', 'events of one request', parseId)
    .option('--since <when>', 'ISO 8601 instant, or a time ago (2h)', instant)
    .option('--until <when>', 'ISO 8601 instant, or a time ago (30m)', instant)
    .addOption(limit())
    .action(act(auditList));

  const keys = program.command('keys').description('signing keys (admins)');
  keys
    .command('rotate')
    .description('add a signing key that signs from now on; the old ones stay in JWKS a while')
    .action(act(keysRotate));

  const evidenceCommand = program
    .command('evidence')
    .description('the sealed evidence bundle of a request, byte for byte (stdout, or -o <file>)')
    .argument('<requestId>', 'request id', parseId)
    .option('-o, --output <file>', 'write it to this file')
    .action(act(evidence));
  evidenceCommand
    .command('verify')
    .description('check an evidence bundle offline against the published keys (exit 15 if not)')
    .argument('<file>', 'the bundle (- for stdin)')
    .option(
      '--jwks <file|url>',
      'the keys to check against (default: <broker>/.well-known/countersign-evidence-keys.json)',
    )
    .option(
      '--log-key <file|url>',
      "the audit log's key to check the log proof with (default: the one in the bundle)",
    )
    .action(act(verifyEvidenceFile));
  return program;
}

function contextFor(io: CliIo, options: GlobalOptions): Context {
  let url = options.url;
  if (!url) {
    const fromEnv = io.env.COUNTERSIGN_URL;
    url = fromEnv ? normalizeUrl(fromEnv) : DEFAULT_URL;
    if (!url) throw usageError(`COUNTERSIGN_URL is not an http(s) URL: ${fromEnv}`);
  }
  return new Context(
    io,
    url,
    options.json === true,
    new TokenStore(credentialsPath(io.env)),
    io.fetch ?? fetch,
  );
}
