import type { CryptoKey, JSONWebKeySet } from 'jose';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import type { LinkKind } from '#domain';
import { LINK_WORDS } from '#domain';
import type { EvidenceBundle, EvidenceSeparation } from './bundle.js';
import { EVIDENCE_FORMAT, sealBundle } from './bundle.js';
import { RECEIPT_TYP, receiptPayload } from './receipt.js';
import { requestDigest } from './request-facts.js';
import { verifyEvidence } from './verify.js';

const ISSUER = 'https://countersign.test';
const POLICY_HASH = `sha256:${'a'.repeat(64)}`;
const KID = 'unit-key';

let privateKey: CryptoKey;
let jwks: JSONWebKeySet;

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  privateKey = pair.privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'EdDSA' }] };
});

const sign = (typ: string, payload: Uint8Array): Promise<string> =>
  new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', kid: KID, typ }).sign(privateKey);

const link = (a: string, b: string, kind: LinkKind) => ({
  between: [a, b] as [string, string],
  kind,
});

interface Story {
  requester?: string;
  approvers: string[];
  separation: EvidenceSeparation;
  issuance?: EvidenceBundle['issuance'];
  /** The grant the receipts sign that the request extends, and the one the bundle shows. */
  extends?: { signed?: string; shown?: string };
}

/** A sealed bundle of an approved 2-person request, receipts signed like the broker's. */
async function sealed(story: Story) {
  const { requester = 'corp:alice', approvers, separation } = story;
  const terms = {
    id: 'req-1',
    requester,
    recipient: requester,
    act: null,
    role: 'two-person',
    resource: 'https://deploy.example.com',
    intent: null,
    durationSeconds: 600,
    approvalsRequired: 2,
  };
  const signed = story.extends?.signed;
  const digest = requestDigest({
    ...terms,
    ...(signed ? { extends: signed } : {}),
    policyHash: POLICY_HASH,
  });
  const approvals = await Promise.all(
    approvers.map(async (approver, i) => {
      const at = `2026-12-07T10:0${i}:00.000Z`;
      const claims = {
        iss: ISSUER,
        requestId: terms.id,
        requestDigest: digest,
        policyHash: POLICY_HASH,
        approver,
        approvedAt: at,
      };
      return {
        approver,
        at,
        comment: null,
        receipt: await sign(RECEIPT_TYP, receiptPayload(claims)),
      };
    }),
  );
  const bundle: EvidenceBundle = {
    format: EVIDENCE_FORMAT,
    issuer: ISSUER,
    generatedAt: '2026-12-07T11:00:00.000Z',
    request: {
      ...terms,
      ...(story.extends?.shown ? { extends: story.extends.shown } : {}),
      status: 'approved',
      breakGlass: false,
      justification: 'release 42',
      createdAt: '2026-12-07T09:59:00.000Z',
      decidedAt: '2026-12-07T10:01:00.000Z',
    },
    policy: null,
    approvals,
    separation,
    issuance: story.issuance ?? null,
    revocation: null,
    auditEvents: [],
    chainHead: { seq: 0, hash: '0'.repeat(64) },
  };
  return sealBundle(bundle, sign);
}

const strict = (links: EvidenceSeparation['links'] = [], keyHolders = {}): EvidenceSeparation => ({
  mode: 'strict',
  links,
  keyHolders,
});

const failures = async (story: Story) =>
  (await verifyEvidence(await sealed(story), jwks)).checks
    .filter((c) => !c.ok)
    .map((c) => [c.check, c.detail]);

describe('verifyEvidence counts approvals per person', () => {
  it.each<[string, Story, (string | undefined)[][]]>([
    ['two unlinked approvers', { approvers: ['corp:bob', 'corp:carol'], separation: strict() }, []],
    [
      'two aliases of one person, strict',
      {
        approvers: ['corp:frank', 'corp:frank.alt'],
        separation: strict([link('corp:frank', 'corp:frank.alt', 'alias')]),
      },
      [
        ['approval[1] corp:frank.alt', 'approver linked to an earlier approver (alias)'],
        ['approvals required', '1 of 2 approvals by distinct people'],
      ],
    ],
    [
      // The broker counts links of non-human identities in identity mode too; offline the bundle
      // cannot tell who is non-human, so only strict mode is checked (docs/evidence.md).
      'two aliases of one person, identity mode',
      {
        approvers: ['corp:frank', 'corp:frank.alt'],
        separation: {
          ...strict([link('corp:frank', 'corp:frank.alt', 'alias')]),
          mode: 'identity',
        },
      },
      [],
    ],
    [
      'an owner and their bot',
      {
        approvers: ['corp:carol', 'corp:release-bot'],
        separation: strict([link('corp:carol', 'corp:release-bot', 'ownership')]),
      },
      [
        ['approval[1] corp:release-bot', 'approver linked to an earlier approver (ownership)'],
        ['approvals required', '1 of 2 approvals by distinct people'],
      ],
    ],
    [
      'the key holder of the requesting service account',
      {
        requester: 'local:ci',
        approvers: ['corp:dave', 'corp:bob'],
        separation: strict([link('corp:dave', 'local:ci', 'key_custody')], {
          'local:ci': 'corp:dave',
        }),
      },
      [
        [
          'approval[0] corp:dave',
          'approver linked to the requester or the recipient (key_custody)',
        ],
        ['approvals required', '1 of 2 approvals by distinct people'],
      ],
    ],
    [
      'a service account whose key holder is not a party',
      {
        requester: 'local:ci',
        approvers: ['corp:bob', 'corp:carol'],
        separation: strict([], { 'local:ci': 'corp:dave' }),
      },
      [],
    ],
    [
      'the same approver twice',
      { approvers: ['corp:bob', 'corp:bob'], separation: strict() },
      [
        ['approval[1] corp:bob', 'approver counted twice'],
        ['approvals required', '1 of 2 approvals by distinct people'],
      ],
    ],
  ])('%s', async (_name, story, expected) => {
    expect(await failures(story)).toEqual(expected);
  });
});

describe('verifyEvidence checks the separation facts against the request', () => {
  const approvers = ['corp:bob', 'corp:carol'];
  it.each<[string, EvidenceSeparation, string]>([
    [
      'a link naming someone outside the request',
      strict([link('corp:bob', 'corp:mallory', 'alias')]),
      'link ["corp:bob","corp:mallory"] names a non-party',
    ],
    [
      'a pair in the wrong order',
      strict([link('corp:carol', 'corp:bob', 'alias')]),
      'link ["corp:carol","corp:bob"] is not a sorted pair of two ids',
    ],
    [
      'a pair of one id',
      strict([link('corp:bob', 'corp:bob', 'alias')]),
      'link ["corp:bob","corp:bob"] is not a sorted pair of two ids',
    ],
    [
      'pairs out of order',
      strict([link('corp:bob', 'corp:carol', 'alias'), link('corp:alice', 'corp:bob', 'alias')]),
      'link ["corp:alice","corp:bob"] out of order or repeated',
    ],
    [
      'a pair repeated',
      strict([
        link('corp:bob', 'corp:carol', 'alias'),
        link('corp:bob', 'corp:carol', 'ownership'),
      ]),
      'link ["corp:bob","corp:carol"] out of order or repeated',
    ],
    [
      'a key holder of an account outside the request',
      strict([], { 'local:other': 'corp:dave' }),
      'key holder of local:other, not a party',
    ],
  ])('%s fails', async (_name, separation, detail) => {
    const found = await failures({ approvers, separation });
    expect(found).toContainEqual(['separation', detail]);
  });

  it('fails when a key holder who is a party is not linked to the account', async () => {
    const found = await failures({
      requester: 'local:ci',
      approvers: ['corp:bob', 'corp:dave'],
      separation: strict([], { 'local:ci': 'corp:dave' }),
    });
    expect(found).toEqual([
      ['separation', 'the key holder of local:ci is a party but not linked to it'],
    ]);
  });

  it.each(Object.keys(LINK_WORDS))('accepts the link kind %s', async (kind) => {
    // Identity mode: the link is shown and checked for form, but counts for no one (see above).
    const links = [link('corp:bob', 'corp:carol', kind as LinkKind)];
    const separation = { ...strict(links), mode: 'identity' as const };
    const found = await failures({ approvers, separation });
    expect(found).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    [
      'an unknown kind',
      strict([{ between: ['corp:bob', 'corp:carol'], kind: 'friend' } as never]),
      'bundle.separation.links.0.kind',
    ],
    ['an extra field', { ...strict(), note: 'x' }, 'bundle.separation'],
    ['a missing field', { mode: 'strict', links: [] }, 'bundle.separation.keyHolders'],
    ['an unknown mode', { ...strict(), mode: 'lenient' }, 'bundle.separation.mode'],
    [
      'a key holder of a person',
      strict([], { 'corp:bob': 'corp:dave' }),
      'bundle.separation.keyHolders',
    ],
    [
      'a link of three',
      strict([{ between: ['corp:bob', 'corp:carol', 'corp:dave'], kind: 'alias' } as never]),
      'bundle.separation.links.0.between',
    ],
  ])('refuses the shape of %s', async (_name, separation, path) => {
    const text = await sealed({ approvers, separation: separation as EvidenceSeparation });
    const report = await verifyEvidence(text, jwks);
    expect(report.ok).toBe(false);
    expect(report.checks).toEqual([
      { check: 'canonical', ok: true },
      {
        check: 'shape',
        ok: false,
        detail: expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')}`)),
      },
    ]);
  });
});

describe('verifyEvidence and extensions', () => {
  const approvers = ['corp:bob', 'corp:carol'];
  const at = (hour: number, minute = 0) =>
    `2026-12-07T${hour}:${String(minute).padStart(2, '0')}:00.000Z`;
  const issuance = (extensions: { previousExpiresAt: string; expiresAt: string }[]) => ({
    grantId: 'grant-1',
    issuedAt: at(10),
    expiresAt: at(13),
    kid: KID,
    recipient: 'corp:alice',
    approvers,
    extensions: extensions.map((ends, i) => ({ requestId: `ext-${i}`, approvers, ...ends })),
  });

  it("accepts extensions that lead from one end to the next and to the grant's end", async () => {
    const story = {
      approvers,
      separation: strict(),
      issuance: issuance([
        { previousExpiresAt: at(11), expiresAt: at(12) },
        { previousExpiresAt: at(12), expiresAt: at(13) },
      ]),
    };
    expect(await failures(story)).toEqual([]);
  });

  it.each([
    ['a gap between two', [at(11), at(12)], [at(12, 30), at(13)]],
    ["a last one short of the grant's end", [at(11), at(12)], [at(12), at(12, 30)]],
  ])('refuses %s', async (_case, [from1, to1], [from2, to2]) => {
    const story = {
      approvers,
      separation: strict(),
      issuance: issuance([
        { previousExpiresAt: from1, expiresAt: to1 },
        { previousExpiresAt: from2, expiresAt: to2 },
      ]),
    };
    expect(await failures(story)).toEqual([
      ['extensions', "the extensions do not lead to the grant's end"],
    ]);
  });

  it('holds an extension to the grant its receipts approved', async () => {
    const same = { approvers, separation: strict(), extends: { signed: 'g-1', shown: 'g-1' } };
    expect(await failures(same)).toEqual([]);
    const moved = { approvers, separation: strict(), extends: { signed: 'g-1', shown: 'g-2' } };
    const problems = await failures(moved);
    expect(problems).toContainEqual([
      'approval[0] corp:bob',
      'receipt is for a different request or different terms',
    ]);
    const unsigned = { approvers, separation: strict(), extends: { shown: 'g-2' } };
    expect(await failures(unsigned)).toContainEqual([
      'approval[0] corp:bob',
      'receipt is for a different request or different terms',
    ]);
  });
});
