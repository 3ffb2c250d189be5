import { IdentityGraph, OwnershipCycleError } from './identity-graph.js';

const ALICE = 'corp:alice';
const ALICE_PARTNER = 'partner:alice.smith';
const BOB = 'corp:bob';
const CAROL = 'corp:carol';
const DEPLOYER = 'corp:svc-deployer'; // owned by alice
const DEPLOYER_SPIFFE = 'spiffe:spiffe://prod/deployer'; // alias of the deployer workload
const REPORTER = 'corp:svc-reporter'; // owned by alice: shares an owner with the deployer
const SUB_AGENT = 'corp:agent-sub'; // owned by the deployer: alice owns it through a chain
const PARTNER_BOT = 'corp:svc-partner'; // owned by alice's partner account
const BOB_BOT = 'corp:svc-bob'; // owned by bob

const graph = IdentityGraph.build(
  {
    [DEPLOYER]: ALICE,
    [REPORTER]: ALICE,
    [SUB_AGENT]: DEPLOYER,
    [PARTNER_BOT]: ALICE_PARTNER,
    [BOB_BOT]: BOB,
  },
  [
    [ALICE, ALICE_PARTNER],
    [DEPLOYER, DEPLOYER_SPIFFE],
  ],
);

describe('IdentityGraph.linked', () => {
  it.each<[string, string, string, boolean]>([
    ['the same id', ALICE, ALICE, false],
    ['the same NHI id', DEPLOYER, DEPLOYER, false],
    ['aliases', ALICE, ALICE_PARTNER, true],
    ['aliases, reversed', ALICE_PARTNER, ALICE, true],
    ['NHI aliases', DEPLOYER, DEPLOYER_SPIFFE, true],
    ['owner and direct NHI', ALICE, DEPLOYER, true],
    ['direct NHI and owner', DEPLOYER, ALICE, true],
    ['owner and transitively owned NHI', ALICE, SUB_AGENT, true],
    ['transitively owned NHI and owner', SUB_AGENT, ALICE, true],
    ['intermediate owner and its NHI', DEPLOYER, SUB_AGENT, true],
    ['NHIs sharing a direct owner', DEPLOYER, REPORTER, true],
    ['NHIs sharing an owner up the chain', REPORTER, SUB_AGENT, true],
    ['owner alias and NHI', ALICE_PARTNER, DEPLOYER, true],
    ['owner and NHI owned through an alias', ALICE, PARTNER_BOT, true],
    ['owner and an alias of its NHI', ALICE, DEPLOYER_SPIFFE, true],
    ['NHIs with owners who are aliases', PARTNER_BOT, REPORTER, true],
    ['unrelated humans', ALICE, BOB, false],
    ['unrelated human and NHI', CAROL, DEPLOYER, false],
    ['human and another owner’s NHI', ALICE, BOB_BOT, false],
    ['NHIs of different owners', DEPLOYER, BOB_BOT, false],
    ['unknown principals', 'corp:x', 'corp:y', false],
  ])('%s: linked(%p, %p) is %p', (_case, a, b, expected) => {
    expect(graph.linked(a, b)).toBe(expected);
  });
});

describe('IdentityGraph.owns', () => {
  it.each<[string, string, string, boolean]>([
    ['direct ownership', ALICE, DEPLOYER, true],
    ['transitive ownership', ALICE, SUB_AGENT, true],
    ['intermediate owner', DEPLOYER, SUB_AGENT, true],
    ['owner through an alias of the owner', ALICE_PARTNER, DEPLOYER, true],
    ['NHI owned through an alias', ALICE, PARTNER_BOT, true],
    ['an alias of the NHI', ALICE, DEPLOYER_SPIFFE, true],
    ['the reverse direction', DEPLOYER, ALICE, false],
    ['the reverse of a chain', SUB_AGENT, DEPLOYER, false],
    ['siblings', DEPLOYER, REPORTER, false],
    ['itself', ALICE, ALICE, false],
    ['its own alias', ALICE, ALICE_PARTNER, false],
    ['NHI aliases', DEPLOYER, DEPLOYER_SPIFFE, false],
    ['another owner’s NHI', ALICE, BOB_BOT, false],
    ['an unowned principal', ALICE, CAROL, false],
  ])('%s: owns(%p, %p) is %p', (_case, owner, nhi, expected) => {
    expect(graph.owns(owner, nhi)).toBe(expected);
  });
});

describe('IdentityGraph aliases declared in several entries', () => {
  // One person's accounts may be listed across entries; "the same person" is transitive.
  const overlapping = IdentityGraph.build({ 'corp:bot': 'c:x' }, [
    ['a:x', 'b:x'],
    ['b:x', 'c:x'],
  ]);

  it.each<[string, string, boolean]>([
    ['a:x', 'b:x', true],
    ['b:x', 'c:x', true],
    ['a:x', 'c:x', true],
    ['a:x', 'corp:bot', true],
    ['b:x', 'corp:bot', true],
    ['a:x', 'corp:other', false],
  ])('linked(%p, %p) is %p', (a, b, expected) => {
    expect(overlapping.linked(a, b)).toBe(expected);
  });

  it('lets every account of the owner own the NHI', () => {
    expect(['a:x', 'b:x', 'c:x'].map((id) => overlapping.owns(id, 'corp:bot'))).toEqual([
      true,
      true,
      true,
    ]);
  });
});

describe('IdentityGraph NHI aliases with different declared owners', () => {
  // Both owners reach the workload, whichever of its ids they name.
  const twoOwners = IdentityGraph.build({ 'corp:svc': ALICE, 'spiffe:svc': BOB }, [
    ['corp:svc', 'spiffe:svc'],
  ]);

  it.each<[string, string, boolean]>([
    [ALICE, 'corp:svc', true],
    [ALICE, 'spiffe:svc', true],
    [BOB, 'corp:svc', true],
    [BOB, 'spiffe:svc', true],
    [CAROL, 'corp:svc', false],
  ])('owns(%p, %p) is %p', (owner, nhi, expected) => {
    expect(twoOwners.owns(owner, nhi)).toBe(expected);
    expect(twoOwners.linked(owner, nhi)).toBe(expected);
  });

  it('links the two owners through the workload they share', () => {
    expect(twoOwners.linked(ALICE, BOB)).toBe(false);
    expect(twoOwners.linked('corp:svc', BOB)).toBe(true);
  });
});

describe('IdentityGraph.build cycles', () => {
  it.each<[string, Record<string, string>, string[][]]>([
    ['a principal owning itself', { 'corp:a': 'corp:a' }, []],
    ['two principals owning each other', { 'corp:a': 'corp:b', 'corp:b': 'corp:a' }, []],
    ['a three-step loop', { 'corp:a': 'corp:b', 'corp:b': 'corp:c', 'corp:c': 'corp:a' }, []],
    [
      'a chain leading into a loop',
      { 'corp:x': 'corp:a', 'corp:a': 'corp:b', 'corp:b': 'corp:a' },
      [],
    ],
    ['an NHI owned by its own alias', { 'corp:a': 'corp:b' }, [['corp:a', 'corp:b']]],
    [
      'a loop closed through an alias',
      { 'corp:bot': 'corp:alice', 'partner:alice': 'corp:bot' },
      [['corp:alice', 'partner:alice']],
    ],
    [
      'a loop through the second owner of an aliased NHI',
      { 'corp:x': 'corp:a', 'spiffe:x': 'corp:b', 'corp:b': 'spiffe:x' },
      [['corp:x', 'spiffe:x']],
    ],
  ])('throws OwnershipCycleError for %s', (_case, owners, aliases) => {
    expect(() => IdentityGraph.build(owners, aliases)).toThrow(OwnershipCycleError);
  });

  it.each<[string, Record<string, string>, string[][]]>([
    ['a chain', { 'corp:a': 'corp:b', 'corp:b': 'corp:c' }, [['corp:c', 'other:c']]],
    [
      'a diamond: two owners with a common owner',
      { 'corp:x': 'corp:a', 'spiffe:x': 'corp:b', 'corp:a': 'corp:c', 'corp:b': 'corp:c' },
      [['corp:x', 'spiffe:x']],
    ],
  ])('accepts %s', (_case, owners, aliases) => {
    const built = IdentityGraph.build(owners, aliases);
    expect(built.owns('corp:c', Object.keys(owners)[0])).toBe(true);
  });
});

describe('IdentityGraph.empty', () => {
  it.each<[string, string]>([
    [ALICE, BOB],
    [ALICE, DEPLOYER],
  ])('links and owns nothing: %p, %p', (a, b) => {
    const empty = IdentityGraph.empty();
    expect(empty.linked(a, b)).toBe(false);
    expect(empty.owns(a, b)).toBe(false);
  });
});

describe('IdentityGraph with service-account owners', () => {
  // Config: alice-agent is owned by the service account alice-sa; the database: alice owns alice-sa.
  const merged = IdentityGraph.build({
    'corp:alice-agent': 'local:alice-sa',
    'local:alice-sa': ALICE,
    'local:bob-sa': BOB,
  });

  it.each<[string, string, string, boolean]>([
    ['owns through the service account', 'owns', 'corp:alice-agent', true],
    ['links the agent to its owner', 'linked', 'corp:alice-agent', true],
    ['owns the service account', 'owns', 'local:alice-sa', true],
    ['not another owner’s account', 'owns', 'local:bob-sa', false],
    ['not linked to another owner’s account', 'linked', 'local:bob-sa', false],
  ])('%s', (_case, relation, other, expected) => {
    const result = relation === 'owns' ? merged.owns(ALICE, other) : merged.linked(ALICE, other);
    expect(result).toBe(expected);
  });

  it('links the agent and the service account as sharing alice', () => {
    expect(merged.linked('corp:alice-agent', 'local:alice-sa')).toBe(true);
  });
});

describe('IdentityGraph.isNonHuman', () => {
  it.each<[string, string, boolean]>([
    ['a person', ALICE, false],
    ['an alias of a person', ALICE_PARTNER, false],
    ['an unknown principal of an issuer', 'corp:x', false],
    ['an owned principal', DEPLOYER, true],
    ['an owned principal through a chain', SUB_AGENT, true],
    ['an unowned alias of an owned principal', DEPLOYER_SPIFFE, true],
    ['a workload without owner', 'spiffe:spiffe://example.org/w', true],
    ['a service account', 'local:ci', true],
  ])('%s: %p is %p', (_case, id, expected) => {
    expect(graph.isNonHuman(id)).toBe(expected);
  });

  it('counts a person aliased to a workload as non-human (fail closed)', () => {
    const odd = IdentityGraph.build({}, [['corp:pat', 'spiffe:spiffe://example.org/pat']]);
    expect(odd.isNonHuman('corp:pat')).toBe(true);
  });
});

describe('IdentityGraph control links (key custody, delegation)', () => {
  const SA = 'local:ci'; // owned by alice, its key with dave
  const AGENT = 'corp:agent'; // carol delegated to it
  const DAVE = 'corp:dave';
  const controlled = IdentityGraph.build(
    { [SA]: ALICE, [DEPLOYER]: ALICE },
    [[ALICE, ALICE_PARTNER]],
    { keyHolders: { [SA]: DAVE, 'local:other': DAVE }, delegations: { [AGENT]: [CAROL] } },
  );

  it.each<[string, string, string, string | undefined]>([
    ['aliases', ALICE, ALICE_PARTNER, 'alias'],
    ['owner and its account', ALICE, SA, 'ownership'],
    ['account and its owner', SA, ALICE, 'ownership'],
    ['two tools of one owner', SA, DEPLOYER, 'shared_owner'],
    ['key holder and the account', DAVE, SA, 'key_custody'],
    ['the account and its key holder', SA, DAVE, 'key_custody'],
    ['two accounts whose keys one person holds', SA, 'local:other', 'key_custody'],
    ['delegator and agent', CAROL, AGENT, 'delegation'],
    ['agent and delegator', AGENT, CAROL, 'delegation'],
    ['key holder and the owner: two people', DAVE, ALICE, undefined],
    ['the same id', SA, SA, undefined],
    ['unrelated', BOB, SA, undefined],
  ])('%s: linkBetween(%p, %p) is %p', (_case, a, b, expected) => {
    expect(controlled.linkBetween(a, b)).toBe(expected);
    expect(controlled.linked(a, b)).toBe(expected !== undefined);
  });

  it('gives no ownership: a key holder or delegator cannot request for the account or agent', () => {
    expect(controlled.owns(DAVE, SA)).toBe(false);
    expect(controlled.owns(CAROL, AGENT)).toBe(false);
    expect(controlled.owns(ALICE, SA)).toBe(true);
  });

  it('counts an agent someone delegated to as non-human', () => {
    expect(controlled.isNonHuman(AGENT)).toBe(true);
    expect(controlled.isNonHuman(CAROL)).toBe(false);
    expect(controlled.isNonHuman(DAVE)).toBe(false);
  });

  it('ends a walk through a loop of control links', () => {
    const loop = IdentityGraph.build({}, [], {
      keyHolders: { 'local:a': 'corp:b' },
      delegations: { 'corp:b': ['local:a'] },
    });
    expect(loop.linked('local:a', 'corp:b')).toBe(true);
    expect(loop.linked('local:a', 'corp:x')).toBe(false);
  });
});

describe('OwnershipCycleError', () => {
  it('names the cycle, from the principal back to itself', () => {
    const build = () =>
      IdentityGraph.build({ 'corp:x': 'corp:a', 'corp:a': 'corp:b', 'corp:b': 'corp:a' });
    expect(build).toThrow('ownership cycle: corp:a -> corp:b -> corp:a');
  });

  it('names a cycle closed through a service account', () => {
    const build = () =>
      IdentityGraph.build({
        'local:alice-sa': ALICE,
        [ALICE]: 'corp:alice-agent',
        'corp:alice-agent': 'local:alice-sa',
      });
    expect(build).toThrow(
      'ownership cycle: local:alice-sa -> corp:alice -> corp:alice-agent -> local:alice-sa',
    );
  });
});
