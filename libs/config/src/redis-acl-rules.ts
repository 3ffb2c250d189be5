/**
 * Commands a grant's ACL user must never get, by name or subcommand: each lets a user outlive its
 * revocation (ACL, CONFIG, MODULE: a user of its own, a password, code), read the server's secrets,
 * or take the server over (replication, failover, shutdown, DEBUG).
 */
const SERVER_CONTROL = new Set([
  'acl',
  'config',
  'module',
  'debug',
  'replicaof',
  'slaveof',
  'sync',
  'psync',
  'failover',
  'shutdown',
]);

/** Categories that include some of SERVER_CONTROL. */
const SERVER_CONTROL_CATEGORIES = new Set(['all', 'admin', 'dangerous']);

const KEY_PATTERN = /^(%(R|W|RW))?~\S+$/i;
const CHANNEL_PATTERN = /^&\S+$/;
const COMMAND = /^[+-]([a-z][a-z0-9_.-]*)(\|[a-z0-9_.-]+)?$/i;
const CATEGORY = /^[+-]@([a-z]+)$/i;
const SCOPE_WORDS = new Set(['allkeys', 'resetkeys', 'allchannels', 'resetchannels', 'nocommands']);

/**
 * Why `rules` cannot be a grant user's ACL rules, or undefined if they can: key and channel
 * patterns and command grants only. Passwords, `nopass`, `on`/`off`, `reset`, selectors and
 * `allcommands` are countersign's (or refused); the messages quote no token, since a refused one
 * may be a password.
 */
export function aclRulesProblem(rules: string): string | undefined {
  const tokens = rules.trim().split(/\s+/);
  for (const [index, token] of tokens.entries()) {
    const at = `rule ${index + 1}`;
    if (KEY_PATTERN.test(token) || CHANNEL_PATTERN.test(token)) continue;
    if (SCOPE_WORDS.has(token.toLowerCase())) continue;
    const category = CATEGORY.exec(token);
    if (category) {
      if (token.startsWith('+') && SERVER_CONTROL_CATEGORIES.has(category[1].toLowerCase()))
        return `${at}: +@all, +@admin and +@dangerous would let the user outlive its revocation`;
      continue;
    }
    const command = COMMAND.exec(token);
    if (command) {
      if (token.startsWith('+') && SERVER_CONTROL.has(command[1].toLowerCase()))
        return `${at}: ${command[1].toLowerCase()} is never granted: it controls the server`;
      continue;
    }
    if (token.toLowerCase() === 'allcommands')
      return `${at}: allcommands would let the user outlive its revocation`;
    return (
      `${at}: expected a key pattern (~…, %R~…), a channel pattern (&…), +/-command, ` +
      '+/-@category, allkeys, allchannels or nocommands; passwords, on/off and reset are ' +
      "countersign's"
    );
  }
  return undefined;
}
