import { randomUUID } from 'node:crypto';
import { mysqlGrantIdOf, mysqlUserName } from './mysql-user-name.js';
import { nativePasswordHash } from './native-password-hash.js';

describe('mysqlUserName', () => {
  it('fits any grant id in 32 characters with a 7-character prefix, and reads it back', () => {
    for (const grantId of [
      randomUUID(),
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
    ]) {
      const name = mysqlUserName('cs_pay_', grantId);
      expect(name).toMatch(/^cs_pay_[0-9a-z]{25}$/);
      expect(mysqlGrantIdOf('cs_pay_', name)).toBe(grantId);
    }
  });

  it('reads no grant id from names not of its scheme', () => {
    const name = mysqlUserName('cs_', randomUUID());
    expect(mysqlGrantIdOf('cs_', `${name}x`)).toBeUndefined();
    expect(mysqlGrantIdOf('cs_', 'cs_not_a_grant')).toBeUndefined();
    expect(mysqlGrantIdOf('cs_', name.toUpperCase())).toBeUndefined();
    expect(mysqlGrantIdOf('ab_', name)).toBeUndefined();
    // 36^25 is more than 2^128: the largest 25 digits name no UUID.
    expect(mysqlGrantIdOf('cs_', `cs_${'z'.repeat(25)}`)).toBeUndefined();
  });

  it('refuses a grant id that is not a lower-case UUID', () => {
    expect(() => mysqlUserName('cs_', 'not-a-uuid')).toThrow();
  });
});

describe('nativePasswordHash', () => {
  it('is MariaDB PASSWORD() of the password', () => {
    // SELECT PASSWORD('x') on MariaDB 10.11.
    expect(nativePasswordHash('x')).toBe('*B69027D44F6E5EDC07F1AEAD1477967B16F28227');
  });
});
