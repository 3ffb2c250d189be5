import type { Principal, Selector } from './principal.js';
import { matchesSelector } from './principal.js';

const p = (id: string, ...groups: string[]): Principal => ({ id, groups });

describe('matchesSelector', () => {
  it.each<[Selector, Principal, boolean]>([
    [{}, p('corp:alice', 'sre'), false],
    [{ groups: [] }, p('corp:alice', 'sre'), false],
    [{ groups: ['sre'] }, p('corp:alice', 'sre'), true],
    [{ groups: ['sre', 'dba'] }, p('corp:alice', 'dba'), true],
    [{ groups: ['sre'] }, p('corp:alice', 'SRE'), false],
    [{ groups: ['sre'] }, p('corp:alice'), false],
    [{ groups: ['sre'] }, p('sre'), false],
    [{ principals: ['corp:alice'] }, p('corp:alice'), true],
    [{ principals: ['corp:alice'] }, p('corp:Alice'), false],
    [{ principals: ['corp:alice'] }, p('partner:alice'), false],
    [{ principals: ['corp:alice'] }, p('corp:alice '), false],
    [{ principals: ['corp:alice'], groups: ['sre'] }, p('corp:bob', 'sre'), true],
    [{ principals: ['corp:alice'], groups: ['sre'] }, p('corp:bob', 'dev'), false],
  ])('%#: %p matches %p: %p', (selector, principal, expected) => {
    expect(matchesSelector(selector, principal)).toBe(expected);
  });
});
