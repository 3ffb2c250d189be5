import type { DomainError } from './errors.js';
import {
  FRESH_SIGN_IN_MS,
  isFreshSignIn,
  passkeyHolderProblem,
  passkeyName,
  relyingParty,
} from './passkey-rules.js';

describe('isFreshSignIn', () => {
  const signedIn = new Date('2026-01-01T00:00:00.000Z');
  const after = (ms: number) => new Date(signedIn.getTime() + ms);

  it.each<[string, number, boolean]>([
    ['at sign-in', 0, true],
    ['a millisecond before 5 minutes', FRESH_SIGN_IN_MS - 1, true],
    ['at exactly 5 minutes', FRESH_SIGN_IN_MS, false],
    ['an hour later', 3_600_000, false],
    ['before the sign-in (a clock gone back)', -1, false],
  ])('%s: %p', (_when, age, fresh) => {
    expect(isFreshSignIn(signedIn, after(age))).toBe(fresh);
  });
});

describe('passkeyName', () => {
  it.each<[string, string]>([
    ['laptop', 'laptop'],
    ['  YubiKey 5C  ', 'YubiKey 5C'],
    ['<b>"mine"</b>', '<b>"mine"</b>'],
    ['x'.repeat(64), 'x'.repeat(64)],
  ])('%p is %p', (input, name) => {
    expect(passkeyName(input)).toBe(name);
  });

  it.each<[string, string]>([
    ['', 'must not be empty'],
    ['   ', 'must not be empty'],
    ['x'.repeat(65), 'must be at most 64 characters'],
    ['a\u0007b', 'must not contain control characters'],
    ['line\nbreak', 'must not contain control characters'],
  ])('%p is refused: %s', (input, message) => {
    expect(() => passkeyName(input)).toThrow(
      expect.objectContaining({
        code: 'invalid_request',
        details: { fields: [{ field: 'name', message }] },
      }) as DomainError,
    );
  });
});

describe('relyingParty', () => {
  it.each<[string, string, string]>([
    ['https://access.example.com', 'access.example.com', 'https://access.example.com'],
    [
      'https://access.example.com:8443/base/',
      'access.example.com',
      'https://access.example.com:8443',
    ],
    ['http://127.0.0.1:3000', '127.0.0.1', 'http://127.0.0.1:3000'],
    ['http://localhost:3000/', 'localhost', 'http://localhost:3000'],
  ])('%p: id %p, origin %p', (publicUrl, id, origin) => {
    expect(relyingParty(publicUrl)).toEqual({ id, origin });
  });
});

describe('passkeyHolderProblem', () => {
  it.each<[Parameters<typeof passkeyHolderProblem>[0], boolean, RegExp | undefined]>([
    ['issuer', false, undefined],
    ['issuer', true, /not a person/],
    ['workload', false, /a workload cannot hold a passkey/],
    ['service_account', false, /a service account cannot hold a passkey/],
  ])('%p (non-human in the graph: %p)', (kind, nonHuman, problem) => {
    const found = passkeyHolderProblem(kind, nonHuman);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });
});
