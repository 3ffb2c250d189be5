import { ConfigError } from './config-error.js';
import { interpolate } from './interpolate.js';

describe('interpolate', () => {
  const env = { A: 'alpha', B: 'be${A}ta', EMPTY: '' };

  it.each<[string, string]>([
    ['${A}', 'alpha'],
    ['x-${A}-${A}', 'x-alpha-alpha'],
    ['${B}', 'be${A}ta'], // one pass: a value is never expanded again
    ['$${A}', '${A}'],
    ['cost: $5', 'cost: $5'],
    ['no refs', 'no refs'],
  ])('%s -> %s', (input, output) => {
    expect(interpolate(input, env)).toBe(output);
  });

  it('walks objects and arrays but leaves keys and non-strings alone', () => {
    const doc = { '${A}': ['${A}', 3, true, null], n: { m: '${A}' } };
    expect(interpolate(doc, env)).toStrictEqual({
      '${A}': ['alpha', 3, true, null],
      n: { m: 'alpha' },
    });
  });

  it.each<[unknown, string, RegExp]>([
    [{ a: [{ b: '${MISSING}' }] }, 'a[0].b', /MISSING is not set/],
    [{ owners: { 'corp:x': '${EMPTY}' } }, 'owners["corp:x"]', /EMPTY is not set/],
    [{ a: '${A' }, 'a', /malformed/],
    [{ a: '${}' }, 'a', /malformed/],
  ])('names the field of a reference it cannot fill', (doc, field, message) => {
    let thrown: unknown;
    try {
      interpolate(doc, env);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).field).toBe(field);
    expect((thrown as ConfigError).message).toMatch(message);
  });
});
