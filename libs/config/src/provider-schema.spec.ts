import { randomBytes } from 'node:crypto';
import { ConfigError } from './config-error.js';
import { parseConfig } from './parse-config.js';
import { providerSchema } from './provider-schema.js';

describe('providerSchema', () => {
  it('defaults the postgres connection details handed out from the connection URL', () => {
    const parsed = providerSchema.parse({
      type: 'postgres',
      connection: 'postgres://admin:s3cret@db.internal:6543/payments',
      targetRole: 'payments_rw',
    });
    expect(parsed).toEqual({
      type: 'postgres',
      connection: 'postgres://admin:s3cret@db.internal:6543/payments',
      targetRole: 'payments_rw',
      host: 'db.internal',
      port: 6543,
      database: 'payments',
      rolePrefix: 'cs_',
    });
  });

  it('keeps configured host, port and database, and port 5432 by default', () => {
    const parsed = providerSchema.parse({
      type: 'postgres',
      connection: 'postgresql://admin@10.0.0.5/payments',
      targetRole: 'ro',
      host: 'payments.db.example.com',
      database: 'payments_replica',
    });
    expect(parsed).toMatchObject({ host: 'payments.db.example.com', port: 5432 });
    expect(parsed).toMatchObject({ database: 'payments_replica' });
  });

  it.each([
    ['a URL of another scheme', { connection: 'mysql://h/db' }],
    ['a URL without a database', { connection: 'postgres://admin@h' }],
    ['no URL at all', { connection: 'host=h dbname=db' }],
    ['a target role that is not an identifier', { targetRole: 'ro; DROP TABLE x' }],
    ['an upper-case prefix', { rolePrefix: 'CS_' }],
    ['an unknown field', { password: 'x' }],
  ])('refuses %s without echoing the connection', (_, override) => {
    const result = providerSchema.safeParse({
      type: 'postgres',
      connection: 'postgres://admin:s3cret@h/db',
      targetRole: 'ro',
      ...override,
    });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues.map((i) => i.message))).not.toContain('s3cret');
  });

  it('reads a webhook with a duration timeout, and refuses a short secret', () => {
    const base = { type: 'webhook', url: 'https://hooks.example.com/cs', secret: 'x'.repeat(32) };
    expect(providerSchema.parse({ ...base, timeout: '2s' })).toEqual({ ...base, timeout: 2 });
    expect(providerSchema.parse(base)).toEqual({ ...base, timeout: 5 });
    expect(providerSchema.safeParse({ ...base, secret: 'short' }).success).toBe(false);
    expect(providerSchema.safeParse({ ...base, timeout: '2m' }).success).toBe(false);
  });

  it('keeps jwt as it is and refuses an unknown type', () => {
    expect(providerSchema.parse({ type: 'jwt' })).toEqual({ type: 'jwt' });
    expect(providerSchema.safeParse({ type: 'ldap' }).success).toBe(false);
  });
});

describe('a role provider in a whole config', () => {
  const yaml = (provider: string) => `
auth:
  issuers:
    - { name: corp, issuer: https://idp.example.com, jwksUri: https://idp.example.com/jwks, audience: countersign }
policy:
  roles:
    - name: payments-read
      resource: postgres://payments
      actions: [db:read]
      maxDuration: 1h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      provider: ${provider}
`;
  const env = { COUNTERSIGN_ENCRYPTION_KEY: randomBytes(32).toString('base64') };

  it('takes the connection from the environment', () => {
    const config = parseConfig(
      yaml('{ type: postgres, connection: "${PG_ADMIN}", targetRole: payments_reader }'),
      { ...env, PG_ADMIN: 'postgres://admin:pw@db:5432/payments' },
    );
    expect(config.policy.roles[0].provider).toMatchObject({
      type: 'postgres',
      host: 'db',
      database: 'payments',
    });
  });

  it('names the bad field and keeps the value to itself', () => {
    const parse = () =>
      parseConfig(yaml('{ type: postgres, connection: "${PG_ADMIN}", targetRole: r }'), {
        ...env,
        PG_ADMIN: 'mysql://admin:hunter2@db/payments',
      });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/policy\.roles\[0\]\.provider\.connection/);
    expect(parse).not.toThrow(/hunter2/);
  });
});
