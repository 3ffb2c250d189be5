import type { Principal, Selector } from './principal.js';
import { matchesSelector, parseSpiffeId, principalKind } from './principal.js';

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

describe('parseSpiffeId', () => {
  it.each<[string, { trustDomain: string; path: string } | undefined]>([
    [
      'spiffe://example.org/ns/ci/sa/deployer',
      { trustDomain: 'example.org', path: '/ns/ci/sa/deployer' },
    ],
    ['spiffe://prod-1.example_org/w', { trustDomain: 'prod-1.example_org', path: '/w' }],
    ['spiffe://example.org', undefined], // a trust domain names no workload
    ['spiffe://example.org/', undefined],
    ['spiffe://example.org/a/', undefined],
    ['spiffe://example.org//a', undefined],
    ['spiffe://example.org/a/../b', undefined],
    ['spiffe://example.org/./a', undefined],
    ['spiffe://Example.org/a', undefined],
    ['spiffe://example.org:443/a', undefined],
    ['spiffe://user@example.org/a', undefined],
    ['spiffe://example.org/a?x=1', undefined],
    ['spiffe://example.org/a#x', undefined],
    ['SPIFFE://example.org/a', undefined],
    ['https://example.org/a', undefined],
    ['spiffe:///a', undefined],
    [`spiffe://example.org/${'a'.repeat(480)}`, undefined],
  ])('%p -> %p', (value, expected) => {
    expect(parseSpiffeId(value)).toEqual(expected);
  });
});

describe('principalKind', () => {
  it.each<[string, string]>([
    ['corp:alice', 'issuer'],
    ['spiffe:spiffe://example.org/w', 'workload'],
    ['local:ci', 'service_account'],
    ['localhost:x', 'issuer'],
  ])('%p is %p', (id, kind) => {
    expect(principalKind(id)).toBe(kind);
  });
});
