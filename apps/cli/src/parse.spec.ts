import { InvalidArgumentError } from 'commander';
import {
  durationMs,
  instantParser,
  normalizeUrl,
  parseAccountName,
  parseCount,
  parseId,
  parseIssuerUrl,
  parseRequestDuration,
} from './parse.js';

describe('argument parsing', () => {
  it('accepts UUIDs as ids, lower-cased, and nothing else', () => {
    expect(parseId('0192E1D4-1111-4111-8111-111111111111')).toBe(
      '0192e1d4-1111-4111-8111-111111111111',
    );
    for (const bad of ['abc', '../grants', '0192e1d4-1111-4111-8111-11111111111', '']) {
      expect(() => parseId(bad)).toThrow(InvalidArgumentError);
    }
  });

  it('takes service account names as the broker allows them, and nothing that could leave the path', () => {
    expect(parseAccountName('deploy-bot')).toBe('deploy-bot');
    expect(parseAccountName('a'.repeat(63))).toBe('a'.repeat(63));
    for (const bad of ['', 'Deploy', '-bot', '../keys', 'a/b', 'bot?x=1', 'a'.repeat(64)]) {
      expect(() => parseAccountName(bad)).toThrow(InvalidArgumentError);
    }
  });

  it('takes counts from 1 to 999999', () => {
    expect(parseCount('1')).toBe(1);
    expect(parseCount('250')).toBe(250);
    for (const bad of ['0', '-1', '1.5', '1e3', '1000000', 'ten']) {
      expect(() => parseCount(bad)).toThrow(InvalidArgumentError);
    }
  });

  it.each<[string, number | undefined]>([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['30', 30_000],
    ['1.5h', undefined],
    ['15 m', undefined],
    ['PT15M', undefined],
    ['-5s', undefined],
  ])('reads the local duration %p as %p ms', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it('checks the form of --for, leaving the role maximum to the broker', () => {
    for (const good of ['30m', '2h', '90', 'PT15M', 'P1DT2H', 'PT1H30M']) {
      expect(parseRequestDuration(good)).toBe(good);
    }
    for (const bad of ['10x', 'soon', '1.5h', 'P', 'PT', 'P1DT', '']) {
      expect(() => parseRequestDuration(bad)).toThrow(InvalidArgumentError);
    }
  });

  it('reads --since as an ISO instant or a time ago', () => {
    const now = Date.parse('2026-11-29T12:00:00Z');
    const parse = instantParser(() => now);
    expect(parse('2h')).toBe('2026-11-29T10:00:00.000Z');
    expect(parse('2026-11-28T08:00:00+01:00')).toBe('2026-11-28T07:00:00.000Z');
    expect(() => parse('yesterday')).toThrow(InvalidArgumentError);
    expect(() => parse('12')).not.toThrow();
  });

  it('normalizes broker URLs so they key the token store stably', () => {
    expect(normalizeUrl('http://localhost:3000/')).toBe('http://localhost:3000');
    expect(normalizeUrl('https://CS.example.com/broker//')).toBe('https://cs.example.com/broker');
    for (const bad of ['localhost:3000', 'ftp://x', 'https://u:p@x', 'https://x/?a=1', 'nope']) {
      expect(normalizeUrl(bad)).toBeUndefined();
    }
  });

  it('keeps an issuer URL verbatim, refusing anything but http(s)', () => {
    expect(parseIssuerUrl('https://idp.example.com/')).toBe('https://idp.example.com/');
    for (const bad of ['idp.example.com', 'file:///etc/passwd', '']) {
      expect(() => parseIssuerUrl(bad)).toThrow(InvalidArgumentError);
    }
  });
});
