import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JSONWebKeySet } from 'jose';
import { randomUUID } from 'node:crypto';
import { generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server';
import { DecideRequest } from '#access';
import { CredentialMinter } from '#credentials';
import type { EvidenceBundle, EvidenceDocument, EvidenceReport } from '#evidence';
import {
  RECEIPT_TYP,
  readReceipt,
  receiptPayload,
  requestDigest,
  sealBundle,
  verifyEvidence,
} from '#evidence';
import type { AuthenticatedPrincipal } from '#identity';
import { PasskeyRow, UnitOfWork } from '#persistence';
import { run } from '../../apps/cli/src/run.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as, createRequest } from '../support/flow.js';
import { registerPasskey, sessionOf, signApproval } from '../support/passkeys.js';
import { SoftAuthenticator } from '../support/soft-authenticator.js';
import { TestIssuer } from '../support/test-issuer.js';

/** A role whose one approval must be signed with the approver's passkey (appended to the roles). */
const SIGNED_ROLE = `
    - name: signed-evidence
      resource: https://signed.example.com
      actions: [deploy:create]
      maxDuration: 30m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      approvals: { signature: passkey }
`;

const BOB: AuthenticatedPrincipal = {
  id: 'corp:bob',
  groups: ['sre-leads'],
  tokenGroups: ['sre-leads'],
  tokenGroupsKnown: true,
};

const execute = promisify(execFile);

const OTHER_TERMS =
  'the passkey signed other terms than these (the challenge is not their statement)';

class Capture {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** `countersign evidence verify` in-process, offline: keys from files, no broker asked. */
async function cliVerify(...args: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const env = { XDG_CONFIG_HOME: tmpdir(), COUNTERSIGN_URL: 'http://127.0.0.1:9' };
  const code = await run(['evidence', 'verify', ...args], { stdout, stderr, env });
  return { code, stdout: stdout.text };
}

const failures = (report: EvidenceReport) =>
  report.checks.filter((c) => !c.ok).map((c) => [c.check, c.detail]);

/**
 * Bob approves with his passkey (the software authenticator, through the broker's own ceremony),
 * alice mints, and the evidence stands offline: the approval is passkey-signed, and no change of
 * the terms survives it, even with every broker signature made again with the broker's own key.
 */
describe.each(DATABASE_KINDS)('evidence of passkey-signed approvals on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  let authenticator: SoftAuthenticator;
  let jwks: JSONWebKeySet;
  let logKey: string;
  let requestId: string;
  let text: string;
  let dir: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind, issuer, yaml: testConfigYaml(issuer, SIGNED_ROLE) });
    dir = await mkdtemp(join(tmpdir(), 'countersign-evidence-signed-'));
    const session = sessionOf(BOB);
    ({ authenticator } = await registerPasskey(broker.app, broker.config, session));
    const request = await createRequest(broker, 'alice', {
      role: 'signed-evidence',
      duration: '10m',
      justification: 'release 42',
    });
    requestId = request.id;
    const signed = await signApproval(broker.app, broker.config, session, requestId, authenticator);
    await broker.app.get(DecideRequest).approve(BOB, requestId, undefined, signed);
    const alice = await as(broker, 'alice');
    await alice.post(`/v1/requests/${requestId}/credentials`).expect(201);
    text = (await alice.get(`/v1/requests/${requestId}/evidence`).expect(200)).text;
    jwks = (await broker.http.get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet;
    logKey = (await broker.http.get('/.well-known/countersign-log-key').expect(200)).text;
    await writeFile(join(dir, 'jwks.json'), JSON.stringify(jwks));
    await writeFile(join(dir, 'log-key.txt'), logKey);
  });

  afterAll(async () => {
    await broker?.close();
    await issuer?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const documentOf = (evidence: string) => JSON.parse(evidence) as EvidenceDocument;

  it("carries the assertion, the key and bob's logged registration of it", () => {
    const { bundle } = documentOf(text);
    expect(bundle.approvals).toHaveLength(1);
    const { signature } = bundle.approvals[0];
    expect(signature).toMatchObject({
      kind: 'passkey',
      rpId: '127.0.0.1',
      origin: 'http://127.0.0.1:3999',
      credentialId: authenticator.credentialId,
    });
    expect(signature!.registration).toMatchObject({
      type: 'passkey.registered',
      actor: 'corp:bob',
      data: { publicKeyId: authenticator.credentialId, publicKey: signature!.publicKey },
    });
    const recorded = bundle.auditEvents.find((e) => e.type === 'approval.recorded')!;
    expect(signature!.registration.seq).toBeLessThan(recorded.seq);
    expect(signature!.registrationInclusion).toEqual(expect.any(Array));
  });

  it('verifies offline: the approval is passkey-signed, as the role requires', async () => {
    const report = await verifyEvidence(text, jwks, { logKey });
    expect(failures(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.approvals).toEqual([{ approver: 'corp:bob', attestation: 'passkey-signed' }]);
    expect(report.checks).toContainEqual({
      check: 'approval signatures',
      ok: true,
      detail: 'passkey-signed: corp:bob',
    });

    const file = join(dir, 'evidence.json');
    await writeFile(file, text);
    const keys = ['--jwks', join(dir, 'jwks.json'), '--log-key', join(dir, 'log-key.txt')];
    const cli = await cliVerify(file, ...keys);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(
      `ok   approval[0] corp:bob signature: passkey-signed (credential ${authenticator.credentialId})\n`,
    );
    expect(cli.stdout).toContain('\napprovals: corp:bob passkey-signed\nevidence verified');
    const json = await cliVerify(file, ...keys, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      approvals: [{ approver: 'corp:bob', attestation: 'passkey-signed' }],
    });
  });

  it('countersign-verify says the same', async () => {
    const file = join(dir, 'evidence.json');
    await writeFile(file, text);
    await execute('npm', ['run', '-s', 'build']);
    const { stdout } = await execute('node', [
      'dist/apps/verify/src/main.js',
      file,
      '--jwks',
      join(dir, 'jwks.json'),
      '--log-key',
      join(dir, 'log-key.txt'),
    ]);
    expect(stdout).toContain('\napprovals: corp:bob passkey-signed\nevidence verified\n');
  }, 120_000);

  /**
   * The bundle changed, its receipts and seal signed again with the broker's own signing key: what
   * a compromised broker (or whoever holds its key) can do.
   */
  async function forged(change: (bundle: EvidenceBundle) => void): Promise<string> {
    const signer = await broker.app.get(CredentialMinter).signer();
    const sign = (typ: string, payload: Uint8Array) => signer.signBytes(typ, payload);
    const { bundle } = documentOf(text);
    change(bundle);
    const { request } = bundle;
    for (const approval of bundle.approvals) {
      const claims = readReceipt(approval.receipt!);
      const digest = requestDigest({
        id: request.id,
        requester: request.requester,
        recipient: request.recipient,
        act: request.act,
        role: request.role,
        resource: request.resource,
        intent: request.intent,
        durationSeconds: request.durationSeconds,
        approvalsRequired: request.approvalsRequired,
        policyHash: claims.policyHash,
      });
      approval.receipt = await sign(
        RECEIPT_TYP,
        receiptPayload({ ...claims, requestDigest: digest }),
      );
    }
    return sealBundle(bundle, sign);
  }

  it('re-signs an unchanged bundle as the broker did (the forgery below is faithful)', async () => {
    const again = await forged(() => undefined);
    expect(failures(await verifyEvidence(again, jwks, { logKey }))).toEqual([]);
  });

  it.each<[string, (bundle: EvidenceBundle) => void]>([
    ['justification', (b) => (b.request.justification = 'release 43')],
    ['duration', (b) => (b.request.durationSeconds = 1800)],
    [
      'recipient',
      (b) => {
        b.request.recipient = 'corp:mallory';
        b.issuance!.recipient = 'corp:mallory';
      },
    ],
  ])(
    'fails a changed %s though the broker’s key signed everything again',
    async (_term, change) => {
      const report = await verifyEvidence(await forged(change), jwks, { logKey });
      expect(failures(report)).toEqual([
        ['approval[0] corp:bob signature', OTHER_TERMS],
        [
          'approval signatures',
          'the role requires passkey-signed approvals; signature-invalid: corp:bob',
        ],
      ]);

      // Without the signature the receipts alone would vouch for it: the role's policy refuses.
      const unsigned = await forged((bundle) => {
        change(bundle);
        delete bundle.approvals[0].signature;
      });
      expect(failures(await verifyEvidence(unsigned, jwks, { logKey }))).toEqual([
        [
          'approval signatures',
          'the role requires passkey-signed approvals; broker-attested: corp:bob',
        ],
      ]);

      const file = join(dir, `forged-${kind}.json`);
      await writeFile(file, await forged(change));
      const cli = await cliVerify(file, '--jwks', join(dir, 'jwks.json'));
      expect(cli.code).toBe(15);
      expect(cli.stdout).toContain(`FAIL approval[0] corp:bob signature: ${OTHER_TERMS}\n`);
      expect(cli.stdout).toContain(
        '\napprovals: corp:bob signature-invalid\nevidence does NOT verify',
      );
    },
  );

  it('shows as broker-attested an approval whose passkey has no logged key, rather than no bundle', async () => {
    // A passkey as one registered before countersign logged keys: a row, and no event naming it.
    const erin = sessionOf({ ...BOB, id: 'corp:erin' });
    const unlogged = SoftAuthenticator.create();
    const options = await generateRegistrationOptions({
      rpName: 'test',
      rpID: '127.0.0.1',
      userName: 'corp:erin',
      attestationType: 'none',
      authenticatorSelection: { userVerification: 'required' },
    });
    const verified = await verifyRegistrationResponse({
      response: unlogged.register(options, 'http://127.0.0.1:3999'),
      expectedChallenge: options.challenge,
      expectedOrigin: 'http://127.0.0.1:3999',
      expectedRPID: '127.0.0.1',
    });
    if (!verified.verified) throw new Error('the software authenticator did not register');
    const { credential } = verified.registrationInfo;
    await broker.app
      .get(UnitOfWork)
      .dataSource.getRepository(PasskeyRow)
      .insert({
        id: randomUUID(),
        principal: 'corp:erin',
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        signCount: 0,
        transports: [],
        aaguid: '00000000-0000-0000-0000-000000000000',
        name: 'old key',
        createdAt: new Date(),
        lastUsedAt: null,
        revokedAt: null,
        revokedBy: null,
      });
    const request = await createRequest(broker, 'alice', {
      role: 'signed-evidence',
      justification: 'release 43',
    });
    const signed = await signApproval(broker.app, broker.config, erin, request.id, unlogged);
    await broker.app
      .get(DecideRequest)
      .approve({ ...BOB, id: 'corp:erin' }, request.id, undefined, signed);
    const alice = await as(broker, 'alice');
    const evidence = (await alice.get(`/v1/requests/${request.id}/evidence`).expect(200)).text;
    expect(documentOf(evidence).bundle.approvals[0].signature).toBeUndefined();
    expect(failures(await verifyEvidence(evidence, jwks, { logKey }))).toEqual([
      [
        'approval signatures',
        'the role requires passkey-signed approvals; broker-attested: corp:erin',
      ],
    ]);
  });
});
