import { verifyRegistrationResponse } from '@simplewebauthn/server';
import type { CryptoKey, JSONWebKeySet } from 'jose';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import type { AuditEvent } from '#audit-log';
import {
  GENESIS_HASH,
  eventLeafHash,
  generateSigner,
  hashEvent,
  inclusionProof,
  rootHash,
  signCheckpoint,
} from '#audit-log';
import type { LinkKind } from '#domain';
import { LINK_WORDS } from '#domain';
import { SoftAuthenticator } from '../../../test/support/soft-authenticator.js';
import type { ApprovalTerms } from './approval-statement.js';
import { approvalChallenge, approvalStatement } from './approval-statement.js';
import type { EvidenceBundle, EvidencePasskeySignature, EvidenceSeparation } from './bundle.js';
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

describe('verifyEvidence and passkey-signed approvals', () => {
  const RP_ID = 'countersign.test';
  const ORIGIN = 'https://countersign.test';
  const LOG_ORIGIN = 'countersign.test/audit';
  const logSigner = generateSigner(LOG_ORIGIN);
  const base64 = (hash: Uint8Array) => Buffer.from(hash).toString('base64');
  type Request = EvidenceBundle['request'];

  /** The COSE public key the broker keeps for `authenticator`, as its registration yields it. */
  async function publicKeyOf(authenticator: SoftAuthenticator): Promise<string> {
    const challenge = Buffer.from('registration challenge').toString('base64url');
    const result = await verifyRegistrationResponse({
      response: authenticator.register({ challenge, rp: { id: RP_ID } }, ORIGIN),
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: true,
    });
    if (!result.verified) throw new Error('registration did not verify');
    return Buffer.from(result.registrationInfo.credential.publicKey).toString('base64url');
  }

  function chained(events: Omit<AuditEvent, 'prevHash' | 'hash'>[]): AuditEvent[] {
    const out: AuditEvent[] = [];
    for (const event of events) {
      const unhashed = { ...event, prevHash: out[out.length - 1]?.hash ?? GENESIS_HASH };
      out.push({ ...unhashed, hash: hashEvent(unhashed) });
    }
    return out;
  }

  const rehashed = ({ hash: _replaced, ...unhashed }: AuditEvent): AuditEvent => ({
    ...unhashed,
    hash: hashEvent(unhashed),
  });

  interface SignedStory {
    /** The bundle's request, changed after bob's passkey signed (receipts and seal re-signed). */
    shown?: Partial<Request>;
    /** The role, as the bundle's policy shows it, requires passkey-signed approvals. */
    requires?: boolean;
    approvedUnderThisPolicy?: boolean;
    /** Whose key signed bob's approval and is claimed as registered: bob's own by default. */
    signedBy?: SoftAuthenticator;
    assert?: Parameters<SoftAuthenticator['assert']>[3];
    /** The last edits before receipts and seal are made. */
    edit?: (bundle: EvidenceBundle) => void;
    /** Without a log proof, as a bundle from before the transparency log. */
    noLog?: boolean;
  }

  /**
   * Bob approves with his passkey (registered at seq 1, logged), carol without; the broker's keys
   * then sign receipts and the seal over whatever the bundle shows.
   */
  async function signedStory(story: SignedStory = {}): Promise<string> {
    const bob = SoftAuthenticator.create();
    const signing = story.signedBy ?? bob;
    const request: Request = {
      id: 'req-1',
      requester: 'corp:alice',
      recipient: 'corp:alice',
      act: null,
      role: 'two-person',
      resource: 'https://deploy.example.com',
      intent: null,
      durationSeconds: 600,
      approvalsRequired: 2,
      status: 'approved',
      breakGlass: false,
      justification: 'release 42',
      createdAt: '2026-12-07T09:59:00.000Z',
      decidedAt: '2026-12-07T10:01:00.000Z',
    };
    const registrationOf = async (authenticator: SoftAuthenticator) => ({
      seq: 1,
      id: 'event-1',
      at: '2026-12-07T09:00:00.000Z',
      type: 'passkey.registered',
      actor: 'corp:bob',
      data: {
        passkeyId: 'passkey-1',
        publicKeyId: authenticator.credentialId,
        publicKey: await publicKeyOf(authenticator),
        name: 'laptop',
        aaguid: '00000000-0000-0000-0000-000000000000',
      },
    });
    const at = (minute: number) => `2026-12-07T10:0${minute}:00.000Z`;
    const log = chained([
      await registrationOf(bob),
      {
        seq: 2,
        id: 'event-2',
        at: at(0),
        type: 'request.created',
        actor: 'corp:alice',
        requestId: 'req-1',
        data: {},
      },
      {
        seq: 3,
        id: 'event-3',
        at: at(0),
        type: 'approval.recorded',
        actor: 'corp:bob',
        requestId: 'req-1',
        data: {
          adminReach: false,
          signature: 'passkey',
          passkeyId: 'passkey-1',
          publicKeyId: signing.credentialId,
        },
      },
      {
        seq: 4,
        id: 'event-4',
        at: at(1),
        type: 'approval.recorded',
        actor: 'corp:carol',
        requestId: 'req-1',
        data: { adminReach: false },
      },
    ]);
    const leaves = log.map(eventLeafHash);
    const registration =
      signing === bob ? log[0] : rehashed({ ...log[0], ...(await registrationOf(signing)) });
    const nonce = 'nonce-1';
    // The terms as the broker has its approvers sign them (approvalTerms), spelt out here so that
    // the verifier's reading of the bundle (termsFromBundle) is checked against them.
    const terms: ApprovalTerms = {
      id: request.id,
      role: request.role,
      resource: request.resource,
      intent: request.intent,
      requester: request.requester,
      recipient: request.recipient,
      act: request.act,
      durationSeconds: request.durationSeconds,
      justification: request.justification,
      createdAt: request.createdAt,
    };
    const challenge = approvalChallenge(approvalStatement(terms, 'corp:bob', nonce));
    const assertion = signing.assert(challenge, RP_ID, ORIGIN, story.assert);
    const signature: EvidencePasskeySignature = {
      kind: 'passkey',
      nonce,
      rpId: RP_ID,
      origin: ORIGIN,
      credentialId: signing.credentialId,
      publicKey: registration.data.publicKey as string,
      authenticatorData: assertion.response.authenticatorData,
      clientDataJSON: assertion.response.clientDataJSON,
      signature: assertion.response.signature,
      registration,
      ...(story.noLog ? {} : { registrationInclusion: inclusionProof(leaves, 0).map(base64) }),
    };
    const events = log.slice(1);
    const bundle: EvidenceBundle = {
      format: EVIDENCE_FORMAT,
      issuer: ISSUER,
      generatedAt: '2026-12-07T11:00:00.000Z',
      request: { ...request, ...story.shown },
      policy: story.requires
        ? {
            hash: POLICY_HASH,
            approvedUnderThisPolicy: story.approvedUnderThisPolicy ?? true,
            definition: {
              separation: 'strict',
              role: { name: 'two-person', approvalSignature: 'passkey' },
            },
          }
        : null,
      approvals: [
        { approver: 'corp:bob', at: at(0), comment: null, receipt: null, signature },
        { approver: 'corp:carol', at: at(1), comment: null, receipt: null },
      ],
      separation: strict(),
      issuance: null,
      revocation: null,
      auditEvents: events,
      chainHead: { seq: 4, hash: log[3].hash },
      ...(story.noLog
        ? {}
        : {
            log: {
              key: logSigner.verifier.vkey,
              checkpoint: signCheckpoint(
                { origin: LOG_ORIGIN, size: 4, rootHash: rootHash(leaves) },
                [logSigner],
              ),
              inclusion: events.map((event) => ({
                seq: event.seq,
                proof: inclusionProof(leaves, event.seq - 1).map(base64),
              })),
            },
          }),
    };
    story.edit?.(bundle);
    // The broker's keys sign whatever the bundle now shows: receipts, then the seal.
    const facts = bundle.request;
    const digest = requestDigest({
      id: facts.id,
      requester: facts.requester,
      recipient: facts.recipient,
      act: facts.act,
      role: facts.role,
      resource: facts.resource,
      intent: facts.intent,
      durationSeconds: facts.durationSeconds,
      approvalsRequired: facts.approvalsRequired,
      policyHash: POLICY_HASH,
    });
    for (const approval of bundle.approvals) {
      const claims = {
        iss: ISSUER,
        requestId: facts.id,
        requestDigest: digest,
        policyHash: POLICY_HASH,
        approver: approval.approver,
        approvedAt: approval.at,
      };
      approval.receipt = await sign(RECEIPT_TYP, receiptPayload(claims));
    }
    return sealBundle(bundle, sign);
  }

  const failed = async (story: SignedStory) =>
    (await verifyEvidence(await signedStory(story), jwks)).checks
      .filter((c) => !c.ok)
      .map((c) => [c.check, c.detail]);

  const OTHER_TERMS =
    'the passkey signed other terms than these (the challenge is not their statement)';

  it("reports the approver's own signature as passkey-signed, the other as broker-attested", async () => {
    const report = await verifyEvidence(await signedStory(), jwks, {
      logKey: logSigner.verifier.vkey,
    });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks).toContainEqual({
      check: 'approval[0] corp:bob signature',
      ok: true,
      detail: expect.stringMatching(/^passkey-signed \(credential [A-Za-z0-9_-]{43}\)$/),
    });
    expect(report.checks).toContainEqual({
      check: 'approval signatures',
      ok: true,
      detail: 'passkey-signed: corp:bob; broker-attested: corp:carol',
    });
    expect(report.approvals).toEqual([
      { approver: 'corp:bob', attestation: 'passkey-signed' },
      { approver: 'corp:carol', attestation: 'broker-attested' },
    ]);
  });

  it('verifies a signature without a log proof, as a bundle from before the log', async () => {
    expect(await failed({ noLog: true })).toEqual([]);
  });

  it.each<[string, Partial<Request>]>([
    ['justification', { justification: 'release 43' }],
    ['duration', { durationSeconds: 86_400 }],
    ['recipient', { recipient: 'corp:mallory' }],
  ])(
    'fails a changed %s though the broker re-signed the receipts and the seal',
    async (_term, shown) => {
      const report = await verifyEvidence(await signedStory({ shown }), jwks);
      expect(report.checks.filter((c) => !c.ok).map((c) => [c.check, c.detail])).toEqual([
        ['approval[0] corp:bob signature', OTHER_TERMS],
      ]);
      expect(report.approvals?.[0]).toEqual({
        approver: 'corp:bob',
        attestation: 'signature-invalid',
      });
      // What the broker's keys alone vouch for: the same change, signature dropped, verifies.
      const unsigned = await failed({
        shown,
        edit: (bundle) => delete bundle.approvals[0].signature,
      });
      expect(unsigned).toEqual([]);
    },
  );

  it('fails an approval without a signature when the role requires one', async () => {
    expect(await failed({ requires: true })).toEqual([
      [
        'approval signatures',
        'the role requires passkey-signed approvals; passkey-signed: corp:bob; broker-attested: corp:carol',
      ],
    ]);
    // The role requires them now, but the approvals were evaluated under another policy.
    expect(await failed({ requires: true, approvedUnderThisPolicy: false })).toEqual([]);
  });

  it('refuses a key the log did not register for the approver, even when signed with it', async () => {
    // A compromised broker with an authenticator of its own: a forged registration record.
    const forged = await failed({ signedBy: SoftAuthenticator.create() });
    expect(forged).toEqual([
      [
        'approval[0] corp:bob signature',
        'the registration is not in the log under its signed checkpoint',
      ],
    ]);
  });

  const signatureOf = (bundle: EvidenceBundle) => bundle.approvals[0].signature!;

  it.each<[string, SignedStory, string]>([
    [
      'a registration record changed',
      { edit: (b) => (signatureOf(b).registration.data.name = 'other') },
      'the registration record does not hash to its hash',
    ],
    [
      'a registration of another owner',
      {
        edit: (b) => {
          const s = signatureOf(b);
          s.registration = rehashed({ ...s.registration, actor: 'corp:carol' });
        },
      },
      "the passkey's registration names another owner",
    ],
    [
      'another kind of event as the registration',
      {
        edit: (b) => {
          const s = signatureOf(b);
          s.registration = rehashed({ ...s.registration, type: 'passkey.removed' });
        },
      },
      'the registration record is not one',
    ],
    [
      'a public key other than the registered one',
      { edit: (b) => (signatureOf(b).publicKey = signatureOf(b).publicKey.slice(0, -2)) },
      'the registration record is of another credential or key',
    ],
    [
      'a registration after the approval',
      {
        edit: (b) => {
          const s = signatureOf(b);
          s.registration = rehashed({ ...s.registration, seq: 5 });
        },
      },
      'the passkey was registered after the approval',
    ],
    [
      'an approval.recorded event naming another passkey',
      {
        edit: (b) => {
          const i = b.auditEvents.findIndex((e) => e.type === 'approval.recorded');
          b.auditEvents[i] = rehashed({ ...b.auditEvents[i], data: { publicKeyId: 'other' } });
        },
      },
      'the approval.recorded event names another passkey',
    ],
    [
      'no inclusion proof of the registration',
      { edit: (b) => delete signatureOf(b).registrationInclusion },
      'no inclusion proof of the registration',
    ],
    [
      'an inclusion proof without a log proof',
      {
        edit: (b) => {
          signatureOf(b).registrationInclusion = b.log!.inclusion[0].proof;
          delete b.log;
        },
      },
      'an inclusion proof without a log proof',
    ],
    ['another nonce', { edit: (b) => (signatureOf(b).nonce = 'nonce-2') }, OTHER_TERMS],
    [
      'an RP id that is not the origin’s host',
      { edit: (b) => (signatureOf(b).rpId = 'evil.test') },
      "the RP id is not the origin's host",
    ],
    [
      'another origin',
      {
        edit: (b) => {
          signatureOf(b).origin = 'https://evil.test';
          signatureOf(b).rpId = 'evil.test';
        },
      },
      'Unexpected authentication response origin "https://countersign.test", expected "https://evil.test"',
    ],
    [
      'no user verification',
      { assert: { userVerified: false } },
      'User verification required, but user could not be verified',
    ],
    [
      'a signature over other bytes',
      {
        edit: (b) => {
          const s = signatureOf(b);
          s.signature = SoftAuthenticator.create().assert(
            'other',
            RP_ID,
            ORIGIN,
          ).response.signature;
        },
      },
      'the signature does not verify',
    ],
  ])('fails %s', async (_case, story, detail) => {
    const found = await failed(story);
    expect(found).toContainEqual(['approval[0] corp:bob signature', detail]);
  });

  it.each<[string, (s: EvidencePasskeySignature) => void, string]>([
    ['an extra field', (s) => Object.assign(s, { note: 'x' }), 'bundle.approvals.0.signature'],
    [
      'another kind',
      (s) => Object.assign(s, { kind: 'totp' }),
      'bundle.approvals.0.signature.kind',
    ],
    [
      'an oversized signature',
      (s) => (s.signature = 'A'.repeat(1025)),
      'bundle.approvals.0.signature.signature',
    ],
    [
      'a signature that is not base64url',
      (s) => (s.clientDataJSON = 'not+base64url/'),
      'bundle.approvals.0.signature.clientDataJSON',
    ],
  ])('refuses the shape of %s', async (_case, change, path) => {
    const report = await verifyEvidence(
      await signedStory({ edit: (b) => change(signatureOf(b)) }),
      jwks,
    );
    expect(report.checks).toEqual([
      { check: 'canonical', ok: true },
      {
        check: 'shape',
        ok: false,
        detail: expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')}:`)),
      },
    ]);
  });
});
