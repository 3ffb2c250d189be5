import { formatDuration, parseDuration } from './durations.js';

describe('parseDuration', () => {
  it.each<[string | number, number]>([
    ['30s', 30],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['1d', 86400],
    ['0s', 0],
    ['PT15M', 900],
    ['PT30S', 30],
    ['PT1H', 3600],
    ['PT1H30M', 5400],
    ['P1D', 86400],
    ['P1DT2H', 93600],
    ['P1DT2H3M4S', 93784],
    ['900', 900],
    ['0', 0],
    [900, 900],
    [0, 0],
  ])('parses %p as %p seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each<[string | number]>([
    [''],
    ['P'],
    ['PT'],
    ['P1DT'],
    ['1w'],
    ['1y'],
    ['-5'],
    ['1.5h'],
    ['1.5'],
    [' 15m'],
    ['15m '],
    ['15 m'],
    ['15M'],
    ['pt15m'],
    ['P1M'],
    ['P1Y'],
    ['PT1.5H'],
    ['h'],
    ['1h30m'],
    ['1234567890s'],
    [-5],
    [1.5],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [Number.MAX_SAFE_INTEGER + 1],
  ])('rejects %p', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [30, '30s'],
    [90, '90s'],
    [60, '1m'],
    [900, '15m'],
    [5400, '90m'],
    [3600, '1h'],
    [7200, '2h'],
    [86400, '1d'],
    [90000, '25h'],
    [172800, '2d'],
    [3601, '3601s'],
  ])('formats %p seconds as %p', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it.each<[number]>([[30], [900], [5400], [3600], [86400], [93784]])(
    'round-trips %p seconds through parseDuration',
    (seconds) => {
      expect(parseDuration(formatDuration(seconds))).toBe(seconds);
    },
  );
});
