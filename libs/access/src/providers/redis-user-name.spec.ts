import { randomUUID } from 'node:crypto';
import { redisUserName, redisUserOf } from './redis-user-name.js';

describe('redisUserName', () => {
  it('names the grant and when it was issued, and reads both back', () => {
    const grantId = randomUUID();
    const issuedAt = new Date('2026-12-08T01:00:00.123Z');
    const name = redisUserName('cs_', grantId, issuedAt);
    expect(name).toBe(`cs_${grantId.replaceAll('-', '')}_${issuedAt.getTime().toString(36)}`);
    expect(redisUserOf('cs_', name)).toEqual({ grantId, createdAt: issuedAt });
  });

  it('reads nothing from names not of its scheme', () => {
    const name = redisUserName('cs_', randomUUID(), new Date());
    expect(redisUserOf('cs_', 'cs_not_a_grant')).toBeUndefined();
    expect(redisUserOf('cs_', name.split('_').slice(0, 2).join('_'))).toBeUndefined();
    expect(redisUserOf('cs_', `${name}_x`)).toBeUndefined();
    expect(redisUserOf('cs_', name.toUpperCase())).toBeUndefined();
    expect(redisUserOf('ab_', name)).toBeUndefined();
    expect(redisUserOf('cs_', 'default')).toBeUndefined();
  });
});
