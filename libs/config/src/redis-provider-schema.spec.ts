import { randomBytes } from 'node:crypto';
import { ConfigError } from './config-error.js';
import { parseConfig } from './parse-config.js';
import { providerSchema } from './provider-schema.js';

const base = { type: 'redis', url: 'redis://countersign:s3cret@cache.internal:6380' };

describe('the redis provider schema', () => {
  it('keeps the URL, normalises the rules and defaults the prefix', () => {
    expect(
      providerSchema.parse({ ...base, rules: '  ~cache:*   +@read -keys\t&events:* ' }),
    ).toEqual({ ...base, rules: '~cache:* +@read -keys &events:*', userPrefix: 'cs_' });
  });

  it.each([
    '~cache:* +get +set',
    '%R~cache:* %W~tmp:* +@read +@write -@dangerous',
    'allkeys allchannels +@read +client|setname',
    'resetkeys ~a:* resetchannels &b:* nocommands +ping',
  ])('accepts %s', (rules) => {
    expect(providerSchema.safeParse({ ...base, rules }).success).toBe(true);
  });

  it.each([
    ['a password', '~* +get >hunter2', 'rule 3'],
    ['a password hash', '~* #abcdef', 'rule 2'],
    ['nopass', 'nopass ~* +get', 'rule 1'],
    ['on', 'on ~* +get', 'rule 1'],
    ['reset', '~* reset +get', 'rule 2'],
    ['a selector', '~* (+get ~x)', 'rule 2'],
    ['allcommands', '~* allcommands', 'allcommands'],
    ['+@all', '~* +@all', '+@all'],
    ['+@admin', '~* +@ADMIN', '+@all'],
    ['+@dangerous', '~* +@dangerous', '+@all'],
    ['ACL', '~* +acl', 'acl is never granted'],
    ['an ACL subcommand', '~* +ACL|SETUSER', 'acl is never granted'],
    ['CONFIG GET', '~* +config|get', 'config is never granted'],
    ['MODULE', '~* +module', 'module is never granted'],
    ['REPLICAOF', '~* +replicaof', 'replicaof is never granted'],
  ])('refuses %s without quoting it', (_, rules, message) => {
    const result = providerSchema.safeParse({ ...base, rules });
    expect(result.success).toBe(false);
    const messages = JSON.stringify(result.error?.issues.map((issue) => issue.message));
    expect(messages).toContain(message);
    expect(messages).not.toContain('hunter2');
  });

  it('lets a grant user lose what it is given elsewhere: -@dangerous, -acl', () => {
    expect(providerSchema.safeParse({ ...base, rules: '~* +@read -@dangerous -acl' }).success).toBe(
      true,
    );
  });

  it.each([
    ['a URL of another scheme', { url: 'http://cache:6379' }],
    ['no URL at all', { url: 'cache.internal:6379' }],
    ['an upper-case prefix', { userPrefix: 'CS_' }],
    ['an unknown field', { password: 'x' }],
    ['no rules', { rules: '' }],
  ])('refuses %s', (_, override) => {
    expect(providerSchema.safeParse({ ...base, rules: '~* +get', ...override }).success).toBe(
      false,
    );
  });
});

describe('a redis role in a whole config', () => {
  const yaml = (provider: string) => `
auth:
  issuers:
    - { name: corp, issuer: https://idp.example.com, jwksUri: https://idp.example.com/jwks, audience: countersign }
policy:
  roles:
    - name: cache-read
      resource: redis://cache
      actions: [cache:read]
      maxDuration: 1h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      provider: ${provider}
`;
  const env = { COUNTERSIGN_ENCRYPTION_KEY: randomBytes(32).toString('base64') };

  it('names the bad field and keeps the URL to itself', () => {
    const parse = () =>
      parseConfig(yaml('{ type: redis, url: "${CACHE_ADMIN}", rules: "~* +get" }'), {
        ...env,
        CACHE_ADMIN: 'mysql://admin:hunter2@cache',
      });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/policy\.roles\[0\]\.provider\.url/);
    expect(parse).not.toThrow(/hunter2/);
  });

  it('names the rules when one is refused', () => {
    const parse = () =>
      parseConfig(yaml('{ type: redis, url: "redis://cache", rules: "~* +@all" }'), env);
    expect(parse).toThrow(/policy\.roles\[0\]\.provider\.rules: rule 2/);
  });
});
