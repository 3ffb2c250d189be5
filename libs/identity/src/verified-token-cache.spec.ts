import { VerifiedTokenCache } from './verified-token-cache.js';

const T0 = 1_800_000_000_000;
const alice = { id: 'corp:alice', tokenGroups: ['engineering'] };
const bob = { id: 'corp:bob', tokenGroups: undefined };

function cache(options: { maxEntries?: number; maxAgeMs?: number } = {}) {
  let now = T0;
  const c = new VerifiedTokenCache({ ...options, now: () => now });
  return { c, at: (ms: number) => (now = T0 + ms) };
}

describe('VerifiedTokenCache', () => {
  it('answers a remembered token with its identity, and nothing for another token', () => {
    const { c } = cache();
    c.remember('token-a', alice, T0 / 1000 + 60);
    expect(c.get('token-a')).toStrictEqual(alice);
    expect(c.get('token-b')).toBeUndefined();
    expect(c.get('token-a ')).toBeUndefined();
  });

  it('never answers at or past the token exp', () => {
    const { c, at } = cache();
    c.remember('token-a', alice, T0 / 1000 + 60);
    at(59_999);
    expect(c.get('token-a')).toStrictEqual(alice);
    at(60_000);
    expect(c.get('token-a')).toBeUndefined();
    at(59_000);
    expect(c.get('token-a')).toBeUndefined(); // dropped once seen expired
    expect(c.size).toBe(0);
  });

  it('does not remember a token already expired, or one without a numeric exp', () => {
    const { c } = cache();
    c.remember('expired', alice, T0 / 1000);
    c.remember('long-expired', alice, T0 / 1000 - 3600);
    c.remember('no-exp', alice, Number.NaN);
    expect(c.size).toBe(0);
  });

  it('trusts an entry for maxAgeMs at most, even when exp is later', () => {
    const { c, at } = cache({ maxAgeMs: 1000 });
    c.remember('token-a', alice, T0 / 1000 + 7200);
    at(999);
    expect(c.get('token-a')).toStrictEqual(alice);
    at(1000);
    expect(c.get('token-a')).toBeUndefined();
  });

  it('keeps at most maxEntries, evicting the least recently used', () => {
    const { c } = cache({ maxEntries: 2 });
    const exp = T0 / 1000 + 60;
    c.remember('a', alice, exp);
    c.remember('b', bob, exp);
    expect(c.get('a')).toStrictEqual(alice); // a is now the most recently used
    c.remember('c', alice, exp);
    expect(c.size).toBe(2);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toStrictEqual(alice);
    expect(c.get('c')).toStrictEqual(alice);
  });

  it('stays bounded under many distinct tokens', () => {
    const { c } = cache({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) c.remember(`token-${i}`, alice, T0 / 1000 + 60);
    expect(c.size).toBe(100);
    expect(c.get('token-9999')).toStrictEqual(alice);
    expect(c.get('token-0')).toBeUndefined();
  });

  it('remembers nothing with maxEntries 0', () => {
    const { c } = cache({ maxEntries: 0 });
    c.remember('a', alice, T0 / 1000 + 60);
    expect(c.get('a')).toBeUndefined();
  });

  it('keeps its own frozen copy of the groups', () => {
    const { c } = cache();
    const groups = ['engineering'];
    c.remember('a', { id: 'corp:alice', tokenGroups: groups }, T0 / 1000 + 60);
    groups.push('security');
    const identity = c.get('a');
    expect(identity?.tokenGroups).toStrictEqual(['engineering']);
    expect(Object.isFrozen(identity?.tokenGroups)).toBe(true);
    expect(Object.isFrozen(identity)).toBe(true);
  });

  it('refuses a nonsensical size', () => {
    expect(() => new VerifiedTokenCache({ maxEntries: -1 })).toThrow();
    expect(() => new VerifiedTokenCache({ maxEntries: 1.5 })).toThrow();
  });
});
