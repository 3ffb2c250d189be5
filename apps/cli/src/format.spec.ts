import {
  colourStatus,
  formatDuration,
  formatInstant,
  keyValues,
  relative,
  shellQuote,
  table,
} from './format.js';

describe('table', () => {
  it('aligns columns under their headers and trims the last column', () => {
    expect(
      table(
        ['ID', 'STATUS', 'NOTE'],
        [
          ['a1', 'pending', ''],
          ['b', 'approved', 'ok'],
        ],
      ),
    ).toBe('ID  STATUS    NOTE\na1  pending\nb   approved  ok\n');
  });

  it('colours after padding, so colour codes do not shift the columns', () => {
    const painted = table(['S', 'X'], [['denied', 'x']], (column, text) =>
      column === 0 ? colourStatus(text) : text,
    );
    expect(painted).toBe('S       X\n\u001b[31mdenied\u001b[0m  x\n');
  });
});

describe('keyValues', () => {
  it('aligns keys and leaves out undefined values', () => {
    expect(
      keyValues([
        ['id', '1'],
        ['grant', undefined],
        ['recipient', 'corp:alice'],
      ]),
    ).toBe('id         1\nrecipient  corp:alice\n');
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [45, '45s'],
    [900, '15m'],
    [1800, '30m'],
    [3600, '1h'],
    [5400, '1h30m'],
    [86400, '1d'],
    [90061, '1d1h1m1s'],
  ])('%p seconds reads %p', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('instants', () => {
  it('shortens ISO instants to seconds in UTC', () => {
    expect(formatInstant('2026-11-29T03:30:12.345Z')).toBe('2026-11-29T03:30:12Z');
    expect(formatInstant('2026-11-29T04:30:12+01:00')).toBe('2026-11-29T03:30:12Z');
    expect(formatInstant(undefined)).toBe('');
  });

  it('says how far away an instant is', () => {
    const now = Date.parse('2026-11-29T03:00:00Z');
    expect(relative('2026-11-29T03:29:30Z', now)).toBe('in 29m30s');
    expect(relative('2026-11-29T02:57:00Z', now)).toBe('3m ago');
  });
});

describe('shellQuote', () => {
  it.each<[string, string]>([
    ['plain', "'plain'"],
    ['', "''"],
    ["it's", `'it'\\''s'`],
    ['$(rm -rf /) `x` "y" \\n', `'$(rm -rf /) \`x\` "y" \\n'`],
    ['two\nlines', "'two\nlines'"],
  ])('quotes %p for a POSIX shell', (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });
});
