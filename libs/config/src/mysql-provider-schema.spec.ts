import { randomBytes } from 'node:crypto';
import { ConfigError } from './config-error.js';
import { parseConfig } from './parse-config.js';
import { providerSchema } from './provider-schema.js';

const base = { type: 'mysql', url: 'mysql://countersign:s3cret@db.internal:3307/payments' };

describe('the mysql provider schema', () => {
  it('keeps the URL and role, and defaults the prefix', () => {
    expect(providerSchema.parse({ ...base, grantRole: 'payments_ro' })).toEqual({
      ...base,
      grantRole: 'payments_ro',
      userPrefix: 'cs_',
    });
    expect(providerSchema.parse({ ...base, grantRole: 'ro', userPrefix: 'cs_pay_' })).toMatchObject(
      { userPrefix: 'cs_pay_' },
    );
  });

  it.each([
    ['a URL of another scheme', { url: 'postgres://admin:s3cret@h/db' }],
    ['no URL at all', { url: 'host=h user=admin password=s3cret' }],
    ['a role that is not an identifier', { grantRole: 'ro`; DROP USER x' }],
    ['a role over 32 characters', { grantRole: 'r'.repeat(33) }],
    ['a prefix too long for 32-character user names', { userPrefix: 'cs_pay_x' }],
    ['an upper-case prefix', { userPrefix: 'CS_' }],
    ['an unknown field', { password: 'x' }],
  ])('refuses %s without echoing the URL', (_, override) => {
    const result = providerSchema.safeParse({ ...base, grantRole: 'ro', ...override });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues.map((i) => i.message))).not.toContain('s3cret');
  });
});

describe('a mysql role in a whole config', () => {
  it('names the bad field and keeps the value to itself', () => {
    const yaml = `
auth:
  issuers:
    - { name: corp, issuer: https://idp.example.com, jwksUri: https://idp.example.com/jwks, audience: countersign }
policy:
  roles:
    - name: payments-read
      resource: mysql://payments
      actions: [db:read]
      maxDuration: 1h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      provider: { type: mysql, url: "\${DB_ADMIN}", grantRole: payments_ro }
`;
    const parse = () =>
      parseConfig(yaml, {
        COUNTERSIGN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        DB_ADMIN: 'postgres://admin:hunter2@db/payments',
      });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/policy\.roles\[0\]\.provider\.url/);
    expect(parse).not.toThrow(/hunter2/);
  });
});
