import type { Decision } from './decision.js';
import type { ExtendableGrant } from './extension.js';
import { checkExtendable, checkExtender, checkExtensionCap, extendedExpiry } from './extension.js';
import { testRole } from './testing/roles.js';

const ISSUED = new Date('2026-12-01T10:00:00Z');
const at = (minutes: number) => new Date(ISSUED.getTime() + minutes * 60_000);

/** Issued at 10:00 for an hour, to corp:alice, unless a case says otherwise. */
const grant = (overrides: Partial<ExtendableGrant> = {}): ExtendableGrant => ({
  recipient: 'corp:alice',
  status: 'active',
  issuedAt: ISSUED,
  expiresAt: at(60),
  ...overrides,
});

/** `null` for allowed, else `code/reason`. */
const outcome = (decision: Decision) =>
  decision.allowed ? null : `${decision.code}/${decision.reason}`;

describe('checkExtender', () => {
  it.each([
    ['the recipient', 'corp:alice', null],
    ['an alias of the recipient', 'partner:alice.smith', 'forbidden/not_recipient'],
    ['the owner of a bot recipient', 'corp:bob', 'forbidden/not_recipient'],
    ['an admin', 'corp:dave', 'forbidden/not_recipient'],
  ])('%s: %s', (_case, caller, expected) => {
    expect(outcome(checkExtender(grant(), caller))).toBe(expected);
  });
});

describe('checkExtendable', () => {
  it.each([
    ['active, before its end', grant(), at(59), null],
    ['active, at its end (it has ended)', grant(), at(60), 'invalid_state/grant_not_active'],
    ['active, past its end (revocation late)', grant(), at(61), 'invalid_state/grant_not_active'],
    ['revoked', grant({ status: 'revoked' }), at(10), 'invalid_state/grant_not_active'],
    ['expired', grant({ status: 'expired' }), at(10), 'invalid_state/grant_not_active'],
  ])('%s', (_case, g, now, expected) => {
    expect(outcome(checkExtendable(g, now))).toBe(expected);
  });

  it('says how the grant ended', () => {
    const refused = checkExtendable(grant({ status: 'revoked' }), at(1));
    expect(refused.allowed || refused.message).toBe('cannot extend a grant that has revoked');
    const late = checkExtendable(grant(), at(61));
    expect(late.allowed || late.message).toBe('cannot extend a grant that has expired');
  });
});

describe('extendedExpiry', () => {
  it('adds the duration to the current end, not to now', () => {
    expect(extendedExpiry(grant({ expiresAt: at(90) }), 30 * 60)).toEqual(at(120));
  });
});

describe('checkExtensionCap', () => {
  const role = testRole({ maxDuration: 3600, maxExtendedDuration: 7200 });

  it.each([
    ['up to the cap exactly', grant(), 60 * 60, null],
    ['one second past the cap', grant(), 60 * 60 + 1, 'not_eligible/exceeds_max_extended_duration'],
    ['an already extended grant, within the rest', grant({ expiresAt: at(100) }), 20 * 60, null],
    [
      'an already extended grant, past the rest',
      grant({ expiresAt: at(100) }),
      21 * 60,
      'not_eligible/exceeds_max_extended_duration',
    ],
  ])('%s', (_case, g, seconds, expected) => {
    expect(outcome(checkExtensionCap(role, g, seconds))).toBe(expected);
  });

  it('counts from the first issue, whatever the current end', () => {
    // Extended twice to 11:50: ten minutes left under a 2 h cap from 10:00.
    const refused = checkExtensionCap(role, grant({ expiresAt: at(110) }), 15 * 60);
    expect(refused.allowed || refused.message).toBe(
      "the grant would last longer than the role's maxExtendedDuration of 2h from its first " +
        'issue: at most 10m more can be added',
    );
  });

  it('says when nothing can be added any more', () => {
    const refused = checkExtensionCap(role, grant({ expiresAt: at(120) }), 60);
    expect(refused.allowed || refused.message).toMatch(/: no more time can be added$/);
  });

  it('with the cap equal to maxDuration, refuses every extension of a full-length grant', () => {
    const tight = testRole({ maxDuration: 3600, maxExtendedDuration: 3600 });
    expect(outcome(checkExtensionCap(tight, grant(), 1))).toBe(
      'not_eligible/exceeds_max_extended_duration',
    );
    expect(outcome(checkExtensionCap(tight, grant({ expiresAt: at(30) }), 30 * 60))).toBeNull();
  });
});
