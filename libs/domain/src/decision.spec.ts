import type { Decision } from './decision.js';
import { allow, deny, firstRefusal, refusalError } from './decision.js';
import { DomainError } from './errors.js';

const no = deny('r2', 'not_eligible', 'nope', 'no');
const no2 = deny('r3', 'forbidden', 'nope2', 'no again');

describe('firstRefusal', () => {
  it.each<[string, Decision[], Decision]>([
    ['no rules', [], allow('none')],
    ['all allow: the last allow', [allow('r1'), allow('r2')], allow('r2')],
    ['the first refusal', [allow('r1'), no, no2], no],
    ['a refusal first', [no2, no], no2],
  ])('%s', (_case, decisions, expected) => {
    expect(firstRefusal(decisions.map((d) => () => d))).toEqual(expected);
  });

  it('stops evaluating at the first refusal', () => {
    const evaluated: string[] = [];
    const rule = (d: Decision) => () => {
      evaluated.push(d.rule);
      return d;
    };
    firstRefusal([rule(allow('r1')), rule(no), rule(no2)]);
    expect(evaluated).toEqual(['r1', 'r2']);
  });
});

describe('refusalError', () => {
  it('carries code, message and reason', () => {
    const error = refusalError(no);
    expect(error).toBeInstanceOf(DomainError);
    expect([error.code, error.message, error.details]).toEqual([
      'not_eligible',
      'no',
      { reason: 'nope' },
    ]);
  });

  it('refuses an allowing decision', () => {
    expect(() => refusalError(allow('r1'))).toThrow(
      'refusalError called with an allowing decision',
    );
  });
});
