import { stringify } from 'yaml';
import { ConfigError, parseConfig } from './index.js';
import type { AppConfig } from './index.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const ENV = { COUNTERSIGN_ENCRYPTION_KEY: KEY };

// The original contract's config example, plus the `partner` issuer its alias needs.
const FULL_YAML = `
publicUrl: http://localhost:3000
separation: strict
auth:
  issuers:
    - name: corp
      issuer: https://idp.example.com
      jwksUri: https://idp.example.com/.well-known/jwks.json
      audience: countersign
      groupsClaim: groups
    - name: partner
      issuer: https://partner.example.net
      jwksUri: https://partner.example.net/jwks
      audience: countersign
owners:
  "corp:svc-deployer": "corp:alice"
aliases:
  - ["corp:alice", "partner:alice.smith"]
directory:
  "corp:bob": [sre-leads]
rateLimit:
  perMinute: 1200
credentials:
  issuer: https://countersign.example.com
  algorithm: EdDSA
revocation:
  sweepInterval: 30s
policy:
  admins: { groups: [security] }
  roles:
    - name: prod-db-admin
      resource: postgres://prod/payments
      actions: [db:read, db:write]
      maxDuration: 1h
      defaultDuration: 15m
      redeemWithin: 15m
      requestTimeout: 24h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads], principals: ["corp:carol"] }
      approvalsRequired: 1
      requireJustification: true
      provider: { type: jwt }
`;

describe('parseConfig: a valid config', () => {
  it('parses the docs/api.md §3 example into the typed config', () => {
    const expected: AppConfig = {
      demo: false,
      demoUsers: [],
      port: 3000,
      publicUrl: 'http://localhost:3000',
      database: { type: 'sqlite', path: './data/countersign.sqlite' },
      encryptionKey: Buffer.alloc(32, 7),
      separation: 'strict',
      issuers: [
        {
          name: 'corp',
          issuer: 'https://idp.example.com',
          jwksUri: 'https://idp.example.com/.well-known/jwks.json',
          audience: 'countersign',
          groupsClaim: 'groups',
        },
        {
          name: 'partner',
          issuer: 'https://partner.example.net',
          jwksUri: 'https://partner.example.net/jwks',
          audience: 'countersign',
        },
      ],
      workloadIssuers: [],
      owners: { 'corp:svc-deployer': 'corp:alice' },
      delegations: {},
      aliases: [['corp:alice', 'partner:alice.smith']],
      directory: { 'corp:bob': ['sre-leads'] },
      rateLimit: { perMinute: 1200 },
      logLevel: 'info',
      credentials: { issuer: 'https://countersign.example.com', algorithm: 'EdDSA' },
      revocation: { sweepInterval: 30, worker: 'inline', queuePrefix: 'countersign' },
      audit: {
        origin: 'localhost:3000/audit',
        checkpointInterval: 10,
        verifyInterval: 3600,
        sinks: [],
      },
      policy: {
        separation: 'strict',
        admins: { groups: ['security'] },
        roles: [
          {
            name: 'prod-db-admin',
            resource: 'postgres://prod/payments',
            actions: ['db:read', 'db:write'],
            maxDuration: 3600,
            maxExtendedDuration: 7200,
            defaultDuration: 900,
            redeemWithin: 900,
            requestTimeout: 86400,
            requesters: { groups: ['engineering'] },
            approvers: { groups: ['sre-leads'], principals: ['corp:carol'] },
            approvalsRequired: 1,
            requireJustification: true,
            provider: { type: 'jwt' },
            revokeOnPolicyChange: false,
          },
        ],
        approverBots: [],
      },
    };
    expect(parseConfig(FULL_YAML, ENV)).toStrictEqual(expected);
  });

  it('applies defaults to a minimal config', () => {
    const config = parseConfig(stringify(minimal()), ENV);
    expect(config).toMatchObject({
      separation: 'strict',
      owners: {},
      aliases: [],
      directory: {},
      rateLimit: { perMinute: 1200 },
      logLevel: 'info',
      credentials: { issuer: 'http://localhost:3000', algorithm: 'EdDSA' },
      revocation: { sweepInterval: 30 },
      audit: { origin: 'localhost:3000/audit', checkpointInterval: 10, verifyInterval: 3600 },
      policy: { separation: 'strict', admins: { groups: [] } },
    });
    expect(config.policy.roles[0]).toStrictEqual({
      name: 'ops',
      resource: 'https://ops.example.com',
      actions: ['ops:run'],
      maxDuration: 3600,
      maxExtendedDuration: 7200,
      defaultDuration: 900,
      redeemWithin: 900,
      requestTimeout: 86400,
      requesters: { groups: ['eng'] },
      approvers: { principals: ['corp:carol'] },
      approvalsRequired: 1,
      requireJustification: false,
      provider: { type: 'jwt' },
      revokeOnPolicyChange: false,
    });
  });

  it.each<[string, string | number, number]>([
    ['30s', '30s', 30],
    ['ISO 8601', 'PT10M', 600],
    ['a number of seconds', 120, 120],
    ['a numeric string', '120', 120],
  ])('reads a duration written as %s', (_, written, seconds) => {
    const doc = minimal();
    doc.policy.roles[0].defaultDuration = written;
    expect(parseConfig(stringify(doc), ENV).policy.roles[0].defaultDuration).toBe(seconds);
  });

  it('caps the default defaultDuration at a shorter maxDuration', () => {
    const doc = minimal();
    doc.policy.roles[0].maxDuration = '5m';
    expect(parseConfig(stringify(doc), ENV).policy.roles[0].defaultDuration).toBe(300);
  });

  it('reads maxExtendedDuration, equal to maxDuration at the least', () => {
    const doc = minimal();
    Object.assign(doc.policy.roles[0], { maxExtendedDuration: '1h' });
    expect(parseConfig(stringify(doc), ENV).policy.roles[0].maxExtendedDuration).toBe(3600);
  });

  it('reads the audit section: a configured origin', () => {
    const doc = Object.assign(minimal(), { audit: { origin: 'countersign.example.com/log' } });
    expect(parseConfig(stringify(doc), ENV).audit).toStrictEqual({
      origin: 'countersign.example.com/log',
      checkpointInterval: 10,
      verifyInterval: 3600,
      sinks: [],
    });
  });

  it('derives the default origin from the host and path of publicUrl', () => {
    const doc = Object.assign(minimal(), { publicUrl: 'https://CS.example.com:8443/base/' });
    expect(parseConfig(stringify(doc), ENV).audit).toStrictEqual({
      origin: 'cs.example.com:8443/base/audit',
      checkpointInterval: 10,
      verifyInterval: 3600,
      sinks: [],
    });
  });

  it('reads the least time between checkpoints', () => {
    const doc = Object.assign(minimal(), { audit: { checkpointInterval: '2m' } });
    expect(parseConfig(stringify(doc), ENV).audit.checkpointInterval).toBe(120);
  });

  it('reads how often the worker verifies the log', () => {
    const doc = Object.assign(minimal(), { audit: { verifyInterval: '15m' } });
    expect(parseConfig(stringify(doc), ENV).audit.verifyInterval).toBe(900);
  });

  it('substitutes ${NAME}, whole or embedded, from the environment', () => {
    const doc = minimal();
    doc.auth.issuers[0].audience = '${AUD}';
    doc.auth.issuers[0].jwksUri = 'https://${IDP_HOST}/jwks.json';
    const env = { ...ENV, AUD: 'cs-prod', IDP_HOST: 'idp.corp.example' };
    const [issuer] = parseConfig(stringify(doc), env).issuers;
    expect(issuer.audience).toBe('cs-prod');
    expect(issuer.jwksUri).toBe('https://idp.corp.example/jwks.json');
  });

  it('reads $${ as a literal ${', () => {
    const doc = minimal();
    doc.auth.issuers[0].audience = 'a$${B}';
    expect(parseConfig(stringify(doc), ENV).issuers[0].audience).toBe('a${B}');
  });
});

describe('parseConfig: audit.sinks (docs/audit-sinks.md)', () => {
  const SECRET = 'a-webhook-secret-of-32-characters';
  const withSinks = (sinks: unknown[]) => stringify(Object.assign(minimal(), { audit: { sinks } }));
  const sinkError = (sinks: unknown[], env: Record<string, string> = ENV) => {
    try {
      parseConfig(withSinks(sinks), env);
    } catch (error) {
      return error as Error & { field: string };
    }
    throw new Error('expected a ConfigError');
  };

  it('reads one sink of each kind, with defaults, and the secret from the environment', () => {
    const yaml = withSinks([
      { name: 'local', type: 'file', path: '/var/log/countersign/audit.jsonl' },
      { name: 'siem', type: 'webhook', url: 'https://siem.example.com/in', secret: '${SINK_KEY}' },
      { name: 'relay', type: 'syslog', host: 'logs.example.com', port: 6514 },
      { name: 'relay-2', type: 'syslog', host: '::1', port: 514, appName: 'cs-prod' },
    ]);
    expect(parseConfig(yaml, { ...ENV, SINK_KEY: SECRET }).audit.sinks).toStrictEqual([
      { name: 'local', type: 'file', path: '/var/log/countersign/audit.jsonl' },
      {
        name: 'siem',
        type: 'webhook',
        url: 'https://siem.example.com/in',
        secret: SECRET,
        timeout: 10,
      },
      {
        name: 'relay',
        type: 'syslog',
        host: 'logs.example.com',
        port: 6514,
        appName: 'countersign',
      },
      { name: 'relay-2', type: 'syslog', host: '::1', port: 514, appName: 'cs-prod' },
    ]);
  });

  it('reads a webhook timeout in any duration form', () => {
    const sink = { name: 's', type: 'webhook', url: 'http://127.0.0.1:9/x', secret: SECRET };
    const [read] = parseConfig(withSinks([{ ...sink, timeout: '30s' }]), ENV).audit.sinks;
    expect(read).toMatchObject({ timeout: 30 });
  });

  it('accepts 16 sinks', () => {
    const sinks = Array.from({ length: 16 }, (_, i) => ({
      name: `f${i}`,
      type: 'file',
      path: `/tmp/${i}.jsonl`,
    }));
    expect(parseConfig(withSinks(sinks), ENV).audit.sinks).toHaveLength(16);
  });

  it.each<[string, unknown[], string, RegExp]>([
    [
      'a 17th sink',
      Array.from({ length: 17 }, (_, i) => ({ name: `f${i}`, type: 'file', path: '/tmp/a' })),
      'audit.sinks',
      /16/,
    ],
    [
      'two sinks of one name',
      [
        { name: 'dup', type: 'file', path: '/tmp/a' },
        { name: 'dup', type: 'syslog', host: 'h', port: 514 },
      ],
      'audit.sinks[1].name',
      /duplicate name "dup"/,
    ],
    ['an unknown kind', [{ name: 'k', type: 'kafka', path: 'x' }], 'audit.sinks[0].type', /./],
    ['no kind', [{ name: 'k', path: 'x' }], 'audit.sinks[0].type', /./],
    [
      'an unknown field',
      [{ name: 'k', type: 'file', path: '/tmp/a', fsync: false }],
      'audit.sinks[0].fsync',
      /unknown field/,
    ],
    [
      'a field of another kind',
      [{ name: 'k', type: 'file', path: '/tmp/a', url: 'http://x/' }],
      'audit.sinks[0].url',
      /unknown field/,
    ],
    [
      'a name with capitals',
      [{ name: 'Siem', type: 'file', path: 'a' }],
      'audit.sinks[0].name',
      /match/,
    ],
    [
      'a name over 32 characters',
      [{ name: 'a'.repeat(33), type: 'file', path: 'a' }],
      'audit.sinks[0].name',
      /match/,
    ],
    ['a file sink with no path', [{ name: 'k', type: 'file' }], 'audit.sinks[0].path', /required/],
    [
      'a webhook URL that is not http(s)',
      [{ name: 'k', type: 'webhook', url: 'ftp://x/', secret: SECRET }],
      'audit.sinks[0].url',
      /http/,
    ],
    [
      'a webhook URL with credentials',
      [{ name: 'k', type: 'webhook', url: 'https://u:p@x/', secret: SECRET }],
      'audit.sinks[0].url',
      /credentials/,
    ],
    [
      'a webhook with no secret',
      [{ name: 'k', type: 'webhook', url: 'https://x/' }],
      'audit.sinks[0].secret',
      /required/,
    ],
    [
      'a webhook timeout over a minute',
      [{ name: 'k', type: 'webhook', url: 'https://x/', secret: SECRET, timeout: '2m' }],
      'audit.sinks[0].timeout',
      /between/,
    ],
    [
      'a syslog port out of range',
      [{ name: 'k', type: 'syslog', host: 'h', port: 65536 }],
      'audit.sinks[0].port',
      /65535/,
    ],
    [
      'a syslog port given as a string',
      [{ name: 'k', type: 'syslog', host: 'h', port: '514' }],
      'audit.sinks[0].port',
      /number/,
    ],
    [
      'a syslog host with a scheme',
      [{ name: 'k', type: 'syslog', host: 'tcp://h', port: 514 }],
      'audit.sinks[0].host',
      /host name/,
    ],
    [
      'a syslog app name with a space',
      [{ name: 'k', type: 'syslog', host: 'h', port: 514, appName: 'count sign' }],
      'audit.sinks[0].appName',
      /printable/,
    ],
    [
      'a syslog app name over 48 characters',
      [{ name: 'k', type: 'syslog', host: 'h', port: 514, appName: 'a'.repeat(49) }],
      'audit.sinks[0].appName',
      /48/,
    ],
  ])('refuses %s, naming the field', (_, sinks, field, message) => {
    expect(() => parseConfig(withSinks(sinks), ENV)).toThrow(configError(field, message));
  });

  it('refuses a short webhook secret without repeating it', () => {
    const error = sinkError(
      [{ name: 'k', type: 'webhook', url: 'https://x/', secret: '${SINK_KEY}' }],
      { ...ENV, SINK_KEY: 'short-secret-15' },
    );
    expect(error.field).toBe('audit.sinks[0].secret');
    expect(error.message).not.toContain('short-secret-15');
  });

  it('refuses an unset secret, naming the field', () => {
    const error = sinkError([
      { name: 'k', type: 'webhook', url: 'https://x/', secret: '${SINK_KEY}' },
    ]);
    expect(error.field).toBe('audit.sinks[0].secret');
    expect(error.message).toMatch(/SINK_KEY is not set/);
  });

  it('refuses sinks that are not a list', () => {
    expect(() => parseConfig(withSinks({ local: 1 } as never), ENV)).toThrow(
      configError('audit.sinks', /array/),
    );
  });
});

type Doc = ReturnType<typeof minimal>;

describe('parseConfig: errors name the field', () => {
  it.each<[string, (doc: Doc) => void, string, RegExp]>([
    [
      'unknown top-level field',
      (d) => Object.assign(d, { databse: 'x' }),
      'databse',
      /unknown field/,
    ],
    [
      'unknown field in a role',
      (d) => Object.assign(d.policy.roles[0], { maxDurration: '1h' }),
      'policy.roles[0].maxDurration',
      /unknown field/,
    ],
    [
      'missing required field',
      (d) => delete (d.auth.issuers[0] as Partial<Doc['auth']['issuers'][0]>).audience,
      'auth.issuers[0].audience',
      /required/,
    ],
    [
      'bad duration',
      (d) => (d.policy.roles[0].maxDuration = '1 hour'),
      'policy.roles[0].maxDuration',
      /duration/,
    ],
    [
      'bad sweep interval',
      (d) => Object.assign(d, { revocation: { sweepInterval: '1y' } }),
      'revocation.sweepInterval',
      /duration/,
    ],
    [
      'unknown field in audit',
      (d) => Object.assign(d, { audit: { orgin: 'x' } }),
      'audit.orgin',
      /unknown field/,
    ],
    [
      'empty audit origin',
      (d) => Object.assign(d, { audit: { origin: '' } }),
      'audit.origin',
      /non-empty line/,
    ],
    [
      'audit origin with a space',
      (d) => Object.assign(d, { audit: { origin: 'cs.example.com/my log' } }),
      'audit.origin',
      /white space/,
    ],
    [
      'audit origin with a newline',
      (d) => Object.assign(d, { audit: { origin: 'cs.example.com\nlog' } }),
      'audit.origin',
      /white space/,
    ],
    [
      "audit origin with a '+'",
      (d) => Object.assign(d, { audit: { origin: 'cs.example.com+log' } }),
      'audit.origin',
      /'\+'/,
    ],
    [
      'audit origin over 256 characters',
      (d) => Object.assign(d, { audit: { origin: 'a'.repeat(257) } }),
      'audit.origin',
      /256/,
    ],
    [
      'an audit setting this version does not have',
      (d) => Object.assign(d, { audit: { checkpointEvery: '10s' } }),
      'audit.checkpointEvery',
      /unknown field/,
    ],
    [
      'a checkpoint interval under a second',
      (d) => Object.assign(d, { audit: { checkpointInterval: 0 } }),
      'audit.checkpointInterval',
      /between/,
    ],
    [
      'a verify interval under a minute',
      (d) => Object.assign(d, { audit: { verifyInterval: '59s' } }),
      'audit.verifyInterval',
      /between/,
    ],
    [
      'a verify interval over a day',
      (d) => Object.assign(d, { audit: { verifyInterval: '25h' } }),
      'audit.verifyInterval',
      /between/,
    ],
    [
      'defaultDuration over maxDuration',
      (d) => (d.policy.roles[0].defaultDuration = '2h'),
      'policy.roles[0].defaultDuration',
      /maxDuration \(1h\)/,
    ],
    [
      'maxExtendedDuration under maxDuration',
      (d) => Object.assign(d.policy.roles[0], { maxExtendedDuration: '30m' }),
      'policy.roles[0].maxExtendedDuration',
      /must be at least maxDuration \(1h\)/,
    ],
    [
      'approvalsRequired out of range',
      (d) => (d.policy.roles[0].approvalsRequired = 11),
      'policy.roles[0].approvalsRequired',
      /10/,
    ],
    [
      'approvalsRequired not an integer',
      (d) => (d.policy.roles[0].approvalsRequired = 1.5),
      'policy.roles[0].approvalsRequired',
      /int/,
    ],
    [
      'approvers naming nobody',
      (d) => (d.policy.roles[0].approvers = {}),
      'policy.roles[0].approvers',
      /at least one/,
    ],
    ['bad role name', (d) => (d.policy.roles[0].name = 'Ops!'), 'policy.roles[0].name', /match/],
    [
      'duplicate role name',
      (d) => d.policy.roles.push({ ...d.policy.roles[0] }),
      'policy.roles[1].name',
      /duplicate/,
    ],
    ['bad issuer name', (d) => (d.auth.issuers[0].name = 'Corp'), 'auth.issuers[0].name', /match/],
    [
      'duplicate issuer name',
      (d) => d.auth.issuers.push({ ...d.auth.issuers[0] }),
      'auth.issuers[1].name',
      /duplicate/,
    ],
    [
      'principal id without an issuer',
      (d) => (d.policy.roles[0].approvers = { principals: ['carol'] }),
      'policy.roles[0].approvers.principals[0]',
      /principal id/,
    ],
    [
      'principal id of an unknown issuer',
      (d) => (d.policy.roles[0].approvers = { principals: ['okta:carol'] }),
      'policy.roles[0].approvers.principals[0]',
      /no configured issuer is named "okta"/,
    ],
    [
      'owner of an unknown issuer',
      (d) => Object.assign(d, { owners: { 'corp:bot': 'okta:alice' } }),
      'owners["corp:bot"]',
      /okta/,
    ],
    [
      'directory key that is no principal id',
      (d) => Object.assign(d, { directory: { bob: ['x'] } }),
      'directory.bob',
      /principal id/,
    ],
    [
      'principal in two alias groups',
      (d) =>
        Object.assign(d, {
          aliases: [
            ['corp:a', 'corp:b'],
            ['corp:c', 'corp:a'],
          ],
        }),
      'aliases[1][1]',
      /aliases\[0\]/,
    ],
    [
      'cycle in owners',
      (d) => Object.assign(d, { owners: { 'corp:a': 'corp:b', 'corp:b': 'corp:a' } }),
      'owners',
      /cycle/,
    ],
    [
      'cycle through an alias',
      (d) =>
        Object.assign(d, {
          owners: { 'corp:bot': 'corp:alice' },
          aliases: [['corp:alice', 'corp:bot']],
        }),
      'owners',
      /cycle/,
    ],
    [
      'bad enum value',
      (d) => Object.assign(d, { separation: 'loose' }),
      'separation',
      /strict|identity/,
    ],
    ['bad publicUrl', (d) => Object.assign(d, { publicUrl: 'ftp://x' }), 'publicUrl', /http/],
    [
      'over-long string',
      (d) => (d.auth.issuers[0].audience = 'a'.repeat(513)),
      'auth.issuers[0].audience',
      /512/,
    ],
    [
      'action with a space',
      (d) => (d.policy.roles[0].actions = ['ops run']),
      'policy.roles[0].actions[0]',
      /whitespace/,
    ],
    ['demo users outside demo', (d) => Object.assign(d, { demoUsers: [] }), 'demoUsers', /demo/],
  ])('%s', (_, edit, field, message) => {
    const doc = minimal();
    edit(doc);
    expect(() => parseConfig(stringify(doc), ENV)).toThrow(configError(field, message));
  });

  it.each<[string, string, RegExp]>([
    ['audience: ${AUD}', 'auth.issuers[0].audience', /AUD is not set/],
    ['audience: x-${AUD}-y', 'auth.issuers[0].audience', /AUD is not set/],
    ['audience: ${not valid}', 'auth.issuers[0].audience', /malformed/],
  ])('a ${} reference that cannot be filled (%s)', (line, field, message) => {
    const yaml = stringify(minimal()).replace('audience: countersign', line);
    expect(() => parseConfig(yaml, ENV)).toThrow(configError(field, message));
  });

  it('reports every schema problem, named after the first', () => {
    const doc = minimal();
    doc.policy.roles[0].maxDuration = 'soon';
    doc.policy.roles[0].approvalsRequired = 0;
    expect(() => parseConfig(stringify(doc), ENV)).toThrow(
      configError('policy.roles[0].maxDuration', /; policy\.roles\[0\]\.approvalsRequired: /),
    );
  });

  it('starts its message with the field', () => {
    const doc = minimal();
    doc.policy.roles[0].maxDuration = 'soon';
    expect(() => parseConfig(stringify(doc), ENV)).toThrow(
      /^policy\.roles\[0\]\.maxDuration: expected a duration/,
    );
    expect(() => parseConfig(stringify(doc), ENV)).toThrow(ConfigError);
  });

  it.each<[string, string]>([
    ['invalid YAML', 'policy: [unclosed'],
    ['a YAML list', '- a\n- b'],
    ['an empty file', ''],
  ])('refuses %s', (_, yaml) => {
    expect(() => parseConfig(yaml, ENV)).toThrow(configError('(root)', /YAML/));
  });
});

/** A small valid config document, fresh for each test. */
function minimal() {
  return {
    auth: {
      issuers: [
        {
          name: 'corp',
          issuer: 'https://idp.example.com',
          jwksUri: 'https://idp.example.com/jwks.json',
          audience: 'countersign',
        },
      ],
    },
    policy: {
      roles: [
        {
          name: 'ops',
          resource: 'https://ops.example.com',
          actions: ['ops:run'],
          maxDuration: '1h' as string | number,
          defaultDuration: undefined as string | number | undefined,
          requesters: { groups: ['eng'] },
          approvers: { principals: ['corp:carol'] } as Record<string, string[]>,
          approvalsRequired: undefined as number | undefined,
        },
      ],
    },
  };
}

/** Matches a thrown ConfigError naming `field`, whose message matches `message`. */
function configError(field: string, message: RegExp): Error {
  // An asymmetric matcher, typed as what toThrow accepts.
  return expect.objectContaining({
    name: 'ConfigError',
    field,
    message: expect.stringMatching(message),
  }) as Error;
}

describe('parseConfig: slack (docs/api.md §7)', () => {
  const SLACK_ENV = { ...ENV, SLACK_SIGNING_SECRET: 'sign-me', SLACK_BOT_TOKEN: 'xoxb-1' };

  function withSlack(slack: Record<string, unknown>) {
    return Object.assign(minimal(), { slack });
  }

  const valid = {
    signingSecret: '${SLACK_SIGNING_SECRET}',
    botToken: '${SLACK_BOT_TOKEN}',
    channel: 'C0123456',
    users: { 'T0001/U0BOB': 'corp:bob' },
  };

  it('is absent unless configured', () => {
    expect(parseConfig(stringify(minimal()), ENV).slack).toBeUndefined();
  });

  it('reads secrets from the environment and defaults apiUrl', () => {
    expect(parseConfig(stringify(withSlack(valid)), SLACK_ENV).slack).toStrictEqual({
      signingSecret: 'sign-me',
      botToken: 'xoxb-1',
      channel: 'C0123456',
      apiUrl: 'https://slack.com/api/',
      users: { 'T0001/U0BOB': 'corp:bob' },
    });
  });

  it('ends apiUrl with a slash', () => {
    const doc = withSlack({ ...valid, apiUrl: 'http://127.0.0.1:9999/api' });
    expect(parseConfig(stringify(doc), SLACK_ENV).slack?.apiUrl).toBe('http://127.0.0.1:9999/api/');
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['unknown field', { ...valid, webhook: 'x' }, 'slack.webhook', /unknown field/],
    ['missing botToken', { ...valid, botToken: undefined }, 'slack.botToken', /.+/],
    ['bad apiUrl', { ...valid, apiUrl: 'ftp://slack' }, 'slack.apiUrl', /http/],
    ['bad user key', { ...valid, users: { bob: 'corp:bob' } }, 'slack.users.bob', /team_id/],
    ['bad principal', { ...valid, users: { 'T1/U1': 'bob' } }, 'slack.users["T1/U1"]', /principal/],
    [
      'unknown issuer',
      { ...valid, users: { 'T1/U1': 'other:bob' } },
      'slack.users["T1/U1"]',
      /no configured issuer is named "other"/,
    ],
  ])('refuses %s, naming the field', (_, slack, field, message) => {
    expect(() => parseConfig(stringify(withSlack(slack)), SLACK_ENV)).toThrow(
      configError(field, message),
    );
  });

  it('refuses an unset secret, naming the field', () => {
    expect(() => parseConfig(stringify(withSlack(valid)), ENV)).toThrow(
      configError('slack.signingSecret', /SLACK_SIGNING_SECRET is not set/),
    );
  });
});

describe('parseConfig: web sign-in (docs/api.md §6)', () => {
  const WEB_ENV = { ...ENV, OIDC_SECRET: 's3cret' };

  function withWeb(web: Record<string, unknown>) {
    const doc = minimal();
    return { ...doc, auth: { ...doc.auth, web } };
  }

  it('is absent unless configured', () => {
    expect(parseConfig(stringify(minimal()), ENV).web).toBeUndefined();
  });

  it('resolves the named issuer and reads the secret from the environment', () => {
    const doc = withWeb({
      issuer: 'corp',
      clientId: 'countersign-web',
      clientSecret: '${OIDC_SECRET}',
    });
    expect(parseConfig(stringify(doc), WEB_ENV).web).toStrictEqual({
      issuer: minimal().auth.issuers[0],
      clientId: 'countersign-web',
      clientSecret: 's3cret',
    });
  });

  // An ID token's aud is the clientId: were it an API audience, every ID token would be an API token.
  const sameUrlIssuer = {
    name: 'corp2',
    issuer: 'https://idp.example.com',
    jwksUri: 'https://idp.example.com/jwks.json',
    audience: 'countersign-web',
  };
  const otherIssuer = { ...sameUrlIssuer, name: 'other', issuer: 'https://other.example.com' };

  it.each<[string, Record<string, unknown>[], string, string]>([
    [
      'the sign-in issuer whose audience is the clientId',
      [],
      'countersign',
      'auth.issuers[0].audience',
    ],
    [
      'another entry for the same issuer URL whose audience is the clientId',
      [sameUrlIssuer],
      'countersign-web',
      'auth.issuers[1].audience',
    ],
  ])('refuses %s, naming the audience field', (_case, more, clientId, field) => {
    const doc = withWeb({ issuer: 'corp', clientId });
    doc.auth.issuers.push(...(more as typeof doc.auth.issuers));
    expect(() => parseConfig(stringify(doc), WEB_ENV)).toThrow(
      configError(field, new RegExp(`equals auth\\.web\\.clientId "${clientId}"`)),
    );
  });

  it.each<[string, Record<string, unknown>[], string]>([
    ['a clientId that differs from every audience', [sameUrlIssuer], 'countersign-web2'],
    [
      'another issuer (another URL) whose audience is the clientId',
      [otherIssuer],
      'countersign-web',
    ],
    ['a clientId differing only in case (aud is compared exactly)', [], 'Countersign'],
  ])('accepts %s', (_case, more, clientId) => {
    const doc = withWeb({ issuer: 'corp', clientId });
    doc.auth.issuers.push(...(more as typeof doc.auth.issuers));
    expect(parseConfig(stringify(doc), WEB_ENV).web?.clientId).toBe(clientId);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['an unknown issuer', { issuer: 'other', clientId: 'c' }, 'auth.web.issuer', /"other"/],
    ['a missing clientId', { issuer: 'corp' }, 'auth.web.clientId', /.+/],
    ['an unknown field', { issuer: 'corp', clientId: 'c', scope: 'x' }, 'auth.web.scope', /.+/],
  ])('refuses %s, naming the field', (_, web, field, message) => {
    expect(() => parseConfig(stringify(withWeb(web)), WEB_ENV)).toThrow(
      configError(field, message),
    );
  });
});
