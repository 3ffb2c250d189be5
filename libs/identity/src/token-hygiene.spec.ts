import {
  CLOCK_TOLERANCE_SECONDS,
  acceptedTyp,
  hygieneProblem,
  issuedInTheFuture,
} from './token-hygiene.js';

describe('acceptedTyp', () => {
  it.each<[unknown, boolean]>([
    [undefined, true],
    ['JWT', true],
    ['jwt', true],
    ['Jwt', true],
    ['at+jwt', true],
    ['AT+JWT', true],
    ['application/jwt', true],
    ['application/at+jwt', true],
    ['Application/AT+JWT', true],
    ['', false],
    ['JOSE', false],
    ['JOSE+JSON', false],
    ['JWS', false],
    ['dpop+jwt', false],
    ['secevent+jwt', false],
    ['logout+jwt', false],
    ['application/dpop+jwt', false],
    ['id_token', false],
    ['application/', false],
    ['application/application/jwt', false],
    [' jwt', false],
    ['jwt ', false],
    ['at+jwt+jwt', false],
    ['x-jwt', false],
    [null, false],
    [1, false],
    [['JWT'], false],
  ])('typ %p -> accepted %p', (typ, accepted) => {
    expect(acceptedTyp(typ)).toBe(accepted);
  });
});

describe('issuedInTheFuture', () => {
  const now = 1_800_000_000;
  it.each<[string, unknown, boolean]>([
    ['no iat', undefined, false],
    ['an iat an hour ago', now - 3600, false],
    ['an iat now', now, false],
    ['an iat within the skew allowance', now + CLOCK_TOLERANCE_SECONDS, false],
    ['an iat just beyond the skew allowance', now + CLOCK_TOLERANCE_SECONDS + 1, true],
    ['an iat an hour ahead', now + 3600, true],
  ])('%s -> %p', (_case, iat, future) => {
    expect(issuedInTheFuture(iat, now)).toBe(future);
  });
});

describe('hygieneProblem', () => {
  const now = 1_800_000_000;
  const good = { iat: now, exp: now + 60, aud: 'countersign' };
  it.each<[string, Record<string, unknown>, Record<string, unknown>, boolean, string | undefined]>([
    ['a clean token', { typ: 'JWT' }, good, false, undefined],
    ['a clean SVID', { typ: 'JWT' }, good, true, undefined],
    [
      'an SVID with one audience in an array',
      {},
      { ...good, aud: ['countersign'] },
      true,
      undefined,
    ],
    ['a bad typ', { typ: 'dpop+jwt' }, good, false, 'typ'],
    ['a future iat', {}, { ...good, iat: now + 3600 }, false, 'iat_in_future'],
    [
      'an SVID with two audiences',
      {},
      { ...good, aud: ['countersign', 'other'] },
      true,
      'several_audiences',
    ],
    [
      'an issuer token with two audiences (OpenID allows it)',
      {},
      { ...good, aud: ['countersign', 'other'] },
      false,
      undefined,
    ],
  ])('%s -> %p', (_case, header, payload, singleAudience, problem) => {
    expect(hygieneProblem(header, payload, { nowSeconds: now, singleAudience })).toBe(problem);
  });
});
