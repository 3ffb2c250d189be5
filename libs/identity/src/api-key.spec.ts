import { apiKeyId, apiKeyMatches, hashApiKey, issueApiKey, looksLikeApiKey } from './api-key.js';

describe('service-account API keys', () => {
  it('are cs_sa_<16 hex key id>_<43 base64url characters> and stored as SHA-256 of the key', () => {
    const issued = issueApiKey();
    expect(issued.key).toMatch(/^cs_sa_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(issued.key.startsWith(`cs_sa_${issued.keyId}_`)).toBe(true);
    expect(issued.hash).toBe(hashApiKey(issued.key));
    expect(issued.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(issued.hash).not.toContain(issued.key.slice(23));
  });

  it('differ every time', () => {
    const keys = new Set(Array.from({ length: 100 }, () => issueApiKey().key));
    expect(keys.size).toBe(100);
  });

  it('match only their own hash', () => {
    const a = issueApiKey();
    const b = issueApiKey();
    expect(apiKeyMatches(a.key, a.hash)).toBe(true);
    expect(apiKeyMatches(b.key, a.hash)).toBe(false);
    expect(apiKeyMatches(`${a.key}x`, a.hash)).toBe(false);
    expect(apiKeyMatches(a.key, 'abcd')).toBe(false);
  });

  it.each<[string, string | undefined]>([
    [`cs_sa_0123456789abcdef_${'A'.repeat(43)}`, '0123456789abcdef'],
    [`cs_sa_0123456789abcdef_${'A'.repeat(42)}`, undefined],
    [`cs_sa_0123456789ABCDEF_${'A'.repeat(43)}`, undefined],
    [`cs_sa_0123456789abcdef_${'A'.repeat(42)}=`, undefined],
    ['cs_sa_', undefined],
    ['eyJhbGciOi.x.y', undefined],
  ])('key id of %p is %p', (key, expected) => {
    expect(apiKeyId(key)).toBe(expected);
  });

  it('are told from JWTs by their prefix', () => {
    expect(looksLikeApiKey(issueApiKey().key)).toBe(true);
    expect(looksLikeApiKey('eyJhbGciOiJFZERTQSJ9.e30.sig')).toBe(false);
  });
});
