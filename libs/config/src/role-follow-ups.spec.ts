import { stringify } from 'yaml';
import { parseConfig } from './index.js';

const ENV = { COUNTERSIGN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };

/** A config of one role with the follow-up fields given (docs/notifications.md). */
function withRole(fields: Record<string, unknown>): string {
  return stringify({
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
          maxDuration: '1h',
          requestTimeout: '8h',
          requesters: { groups: ['eng'] },
          approvers: { groups: ['sre'] },
          ...fields,
        },
      ],
    },
  });
}

const role = (fields: Record<string, unknown>) =>
  parseConfig(withRole(fields), ENV).policy.roles[0];

describe('role follow-ups: remindAfter, escalateAfter + escalateTo, warnBefore', () => {
  it('are absent unless configured', () => {
    const parsed = role({});
    expect(parsed).not.toHaveProperty('remindAfter');
    expect(parsed).not.toHaveProperty('escalation');
    expect(parsed).not.toHaveProperty('warnBefore');
  });

  it('read durations, and escalation as one setting', () => {
    const parsed = role({
      remindAfter: '2h',
      escalateAfter: '4h',
      escalateTo: { principals: ['corp:cto'], groups: ['security-leads'] },
      warnBefore: '10m',
    });
    expect(parsed).toMatchObject({
      remindAfter: 7200,
      escalation: { after: 14400, to: { principals: ['corp:cto'], groups: ['security-leads'] } },
      warnBefore: 600,
    });
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['escalateTo alone', { escalateTo: { principals: ['corp:cto'] } }, 'escalateAfter', /required/],
    ['escalateAfter alone', { escalateAfter: '1h' }, 'escalateTo', /required/],
    ['an empty escalateTo', { escalateAfter: '1h', escalateTo: {} }, 'escalateTo', /at least one/],
    [
      'a reminder that never fires',
      { remindAfter: '8h' },
      'remindAfter',
      /shorter than requestTimeout \(8h\)/,
    ],
    [
      'an escalation that never fires',
      { escalateAfter: '9h', escalateTo: { principals: ['corp:cto'] } },
      'escalateAfter',
      /shorter than requestTimeout/,
    ],
    [
      'a warning as long as the grant',
      { warnBefore: '1h' },
      'warnBefore',
      /shorter than maxDuration \(1h\)/,
    ],
    ['a reminder every second', { remindAfter: '1s' }, 'remindAfter', /./],
    [
      'an unknown field',
      { escalateTo: { people: ['corp:cto'] }, escalateAfter: '1h' },
      'escalateTo',
      /./,
    ],
  ])('refuse %s, naming the field', (_, fields, field, message) => {
    expect(() => role(fields)).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        field: expect.stringContaining(`policy.roles[0].${field}`) as string,
        message: expect.stringMatching(message) as string,
      }) as Error,
    );
  });
});
