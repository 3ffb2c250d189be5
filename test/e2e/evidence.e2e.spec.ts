import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { generateSigner } from '#audit';
import { FixedClock } from '#domain';
import type { EvidenceDocument } from '#evidence';
import { canonicalJson, readReceipt, verifyEvidence } from '#evidence';
import type { TestBroker } from '../support/broker.js';
import { startBroker } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as, createRequest } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

const run = promisify(execFile);

/** A request through its whole life: two approvals, a mint, an early revocation. */
async function fullStory(broker: TestBroker): Promise<string> {
  const request = await createRequest(broker, 'alice', { role: 'two-person', duration: '10m' });
  await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
  await (
    await as(broker, 'carol')
  )
    .post(`/v1/requests/${request.id}/approve`, { comment: 'second pair of eyes' })
    .expect(200);
  const alice = await as(broker, 'alice');
  const minted = await alice.post(`/v1/requests/${request.id}/credentials`).expect(201);
  await alice.post(`/v1/grants/${minted.body.grantId}/revoke`, { reason: 'done' }).expect(200);
  return request.id;
}

async function evidenceText(broker: TestBroker, user: string, id: string): Promise<string> {
  const response = await (await as(broker, user)).get(`/v1/requests/${id}/evidence`).expect(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  return response.text;
}

describe.each(DATABASE_KINDS)('approval receipts and evidence on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  let jwks: JSONWebKeySet;
  let requestId: string;
  let text: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind, issuer });
    requestId = await fullStory(broker);
    jwks = (await broker.http.get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet;
    text = await evidenceText(broker, 'alice', requestId);
  });

  afterAll(async () => {
    await broker.close();
    await issuer.close();
  });

  it('bundles the request, signed receipts, issuance, revocation and audit events', () => {
    const { bundle } = JSON.parse(text) as EvidenceDocument;
    expect(bundle.request).toMatchObject({
      id: requestId,
      requester: 'corp:alice',
      recipient: 'corp:alice',
      role: 'two-person',
      resource: 'https://deploy.example.com',
      durationSeconds: 600,
      approvalsRequired: 2,
      status: 'issued',
    });
    expect(bundle.approvals.map((a) => a.approver)).toEqual(['corp:bob', 'corp:carol']);
    for (const approval of bundle.approvals) {
      const claims = readReceipt(approval.receipt!);
      expect(claims).toMatchObject({
        requestId,
        approver: approval.approver,
        approvedAt: approval.at,
        policyHash: bundle.policy!.hash,
      });
      expect(claims.requestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    expect(bundle.policy).toMatchObject({ approvedUnderThisPolicy: true });
    // alice, bob and carol are three people: nothing links them, no one holds a key.
    expect(bundle.separation).toEqual({ mode: 'strict', links: [], keyHolders: {} });
    expect(bundle.issuance).toMatchObject({
      recipient: 'corp:alice',
      approvers: ['corp:bob', 'corp:carol'],
    });
    expect(bundle.revocation).toMatchObject({ status: 'revoked', reason: 'done' });
    const types = bundle.auditEvents.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'request.created',
        'policy.evaluated',
        'approval.recorded',
        'request.approved',
        'credential.issued',
        'grant.revoked',
      ]),
    );
    expect(bundle.chainHead.seq).toBeGreaterThanOrEqual(
      Math.max(...bundle.auditEvents.map((e) => e.seq)),
    );
    // Canonical JSON, byte for byte as served.
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });

  it('verifies offline against the published keys', async () => {
    const report = await verifyEvidence(text, jwks);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.check)).toEqual([
      'canonical',
      'seal',
      'separation',
      'approval[0] corp:bob',
      'approval[1] corp:carol',
      'approvals required',
      'approval signatures',
      'issuance',
      'audit events',
      'log proof',
    ]);
  });

  it('fails when any byte is changed', async () => {
    const bytes = Buffer.from(text, 'utf8');
    // Every fifth byte on one run and every thirteenth, from another offset, on the other (the
    // verifier does not depend on the database): every byte once took 54 s since bundles carry
    // the log's inclusion proofs.
    const [stride, first] = kind === 'sqlite' ? [5, 0] : [13, 2];
    let checked = 0;
    for (let at = first; at < bytes.length; at += stride) {
      const changed = Buffer.from(bytes);
      // Another printable character: letters, digits and punctuation all stay printable.
      changed[at] = changed[at] === 0x41 ? 0x42 : 0x41;
      const report = await verifyEvidence(changed.toString('utf8'), jwks);
      if (report.ok) throw new Error(`changing byte ${at} left the evidence valid`);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(300);
  }, 120_000);

  it('fails against keys that are not the broker’s', async () => {
    const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const kid = (jwks.keys[0] as { kid: string }).kid;
    const impostor = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA' }] };
    const report = await verifyEvidence(text, impostor);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.check === 'seal')?.ok).toBe(false);
  });

  it('detects a receipt moved from another request', async () => {
    const otherId = await fullStory(broker);
    const other = JSON.parse(await evidenceText(broker, 'alice', otherId)) as EvidenceDocument;
    const document = JSON.parse(text) as EvidenceDocument;
    document.bundle.approvals[0].receipt = other.bundle.approvals[0].receipt;
    const report = await verifyEvidence(canonicalJson(document), jwks);
    expect(report.checks.find((c) => c.check === 'approval[0] corp:bob')).toMatchObject({
      ok: false,
    });
    expect(report.ok).toBe(false);
  });

  it('shows who holds a requesting service account’s key, and an approver who took it since', async () => {
    const dave = await as(broker, 'dave');
    const created = await dave
      .post('/v1/service-accounts', {
        name: `evidence-${kind}`,
        owner: 'corp:alice',
        groups: ['engineering'],
      })
      .expect(201);
    const account = `local:evidence-${kind}`;
    const request = await broker.http
      .post('/v1/requests')
      .set('authorization', `Bearer ${created.body.key as string}`)
      .send({ role: 'two-person', duration: '10m' })
      .expect(201);
    const id = request.body.id as string;
    // kate (an admin who may approve) approves, then bob: two people, none of them holds the key.
    const kate = await as(broker, 'kate', ['security', 'sre-leads']);
    await kate.post(`/v1/requests/${id}/approve`).expect(200);
    await (await as(broker, 'bob')).post(`/v1/requests/${id}/approve`).expect(200);

    const before = JSON.parse(await evidenceText(broker, 'dave', id)) as EvidenceDocument;
    expect(before.bundle.separation).toEqual({
      mode: 'strict',
      links: [],
      keyHolders: { [account]: 'corp:dave' },
    });
    const good = await verifyEvidence(await evidenceText(broker, 'dave', id), jwks);
    expect(good.checks.filter((c) => !c.ok)).toEqual([]);

    // kate takes the key after approving: she and the account are now one person, offline too.
    await kate.post(`/v1/service-accounts/evidence-${kind}/rotate`).expect(200);
    const text = await evidenceText(broker, 'dave', id);
    const { bundle } = JSON.parse(text) as EvidenceDocument;
    expect(bundle.separation).toEqual({
      mode: 'strict',
      links: [{ between: ['corp:kate', account], kind: 'key_custody' }],
      keyHolders: { [account]: 'corp:kate' },
    });
    const report = await verifyEvidence(text, jwks);
    expect(report.checks.filter((c) => !c.ok)).toEqual([
      {
        check: 'approval[0] corp:kate',
        ok: false,
        detail: 'approver linked to the requester or the recipient (key_custody)',
      },
      {
        check: 'approvals required',
        ok: false,
        detail: '1 of 2 approvals by distinct people',
      },
    ]);
  });

  it('shows a requester linked to the recipient, which separation allows', async () => {
    const request = await createRequest(broker, 'alice', {
      role: 'two-person',
      duration: '10m',
      recipient: 'corp:alice-bot',
    });
    await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
    await (await as(broker, 'carol')).post(`/v1/requests/${request.id}/approve`).expect(200);
    const text = await evidenceText(broker, 'alice', request.id);
    const { bundle } = JSON.parse(text) as EvidenceDocument;
    expect(bundle.separation).toEqual({
      mode: 'strict',
      links: [{ between: ['corp:alice', 'corp:alice-bot'], kind: 'ownership' }],
      keyHolders: {},
    });
    const report = await verifyEvidence(text, jwks);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('is served to those who may see the request and to no one else', async () => {
    await evidenceText(broker, 'dave', requestId);
    await evidenceText(broker, 'bob', requestId);
    const outsider = await (
      await as(broker, 'mallory')
    )
      .get(`/v1/requests/${requestId}/evidence`)
      .expect(404);
    expect(outsider.body).toMatchObject({ error: 'not_found' });
    await broker.http.get(`/v1/requests/${requestId}/evidence`).expect(401);
  });
});

describe('evidence after a key rotation', () => {
  const clock = new FixedClock(new Date());
  let issuer: TestIssuer;
  let broker: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind: 'sqlite', issuer, clock });
  });

  afterAll(async () => {
    await broker.close();
    await issuer.close();
  });

  it('still verifies against the evidence keys once the signing key has left JWKS', async () => {
    const id = await fullStory(broker);
    const before = (await broker.http.get('/.well-known/jwks.json').expect(200))
      .body as JSONWebKeySet;
    const oldKid = (before.keys[0] as { kid: string }).kid;
    await (await as(broker, 'dave')).post('/v1/keys/rotate').expect(200);
    // Past the longest role maxExtendedDuration (2h): the old key is no longer published in JWKS.
    clock.advance(7200 + 60);
    const text = await evidenceText(broker, 'alice', id);
    const jwks = (await broker.http.get('/.well-known/jwks.json').expect(200))
      .body as JSONWebKeySet;
    expect(jwks.keys.map((key) => (key as { kid: string }).kid)).not.toContain(oldKid);
    const againstJwks = await verifyEvidence(text, jwks);
    // Both receipts were signed with the retired key: neither verifies, so neither counts.
    const failed = againstJwks.checks.filter((c) => !c.ok).map((c) => c.check);
    expect(failed).toHaveLength(3);
    expect(failed).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^approval\[\d\] corp:bob$/),
        expect.stringMatching(/^approval\[\d\] corp:carol$/),
        'approvals required',
      ]),
    );

    const evidenceKeys = (
      await broker.http.get('/.well-known/countersign-evidence-keys.json').expect(200)
    ).body as JSONWebKeySet;
    expect(evidenceKeys.keys.map((key) => (key as { kid: string }).kid)).toContain(oldKid);
    expect(JSON.stringify(evidenceKeys)).not.toMatch(/"d":/);
    const report = await verifyEvidence(text, evidenceKeys);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });
});

describe('the countersign-verify command', () => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  let dir: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind: 'sqlite', issuer });
    dir = await mkdtemp(join(tmpdir(), 'countersign-evidence-'));
    const id = await fullStory(broker);
    await writeFile(join(dir, 'evidence.json'), await evidenceText(broker, 'dave', id));
    const jwks = await broker.http.get('/.well-known/jwks.json').expect(200);
    await writeFile(join(dir, 'jwks.json'), jwks.text);
    const logKey = await broker.http.get('/.well-known/countersign-log-key').expect(200);
    await writeFile(join(dir, 'log-key.txt'), logKey.text);
    await writeFile(
      join(dir, 'other-log-key.txt'),
      generateSigner(broker.config.audit.origin).verifier.vkey,
    );
    await run('npm', ['run', '-s', 'build']);
  }, 120_000);

  afterAll(async () => {
    await broker.close();
    await issuer.close();
  });

  const verify = (...args: string[]) =>
    run('node', ['dist/apps/verify/src/main.js', ...args]).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );

  it('exits 0 on good evidence and 1 on altered evidence', async () => {
    const good = await verify(join(dir, 'evidence.json'), '--jwks', join(dir, 'jwks.json'));
    expect(good).toMatchObject({ code: 0 });
    expect(good.stdout).toContain('evidence verified');

    const text = await import('node:fs/promises').then((fs) =>
      fs.readFile(join(dir, 'evidence.json'), 'utf8'),
    );
    await writeFile(
      join(dir, 'altered.json'),
      text.replace('"durationSeconds":600', '"durationSeconds":6000'),
    );
    const altered = await verify(
      join(dir, 'altered.json'),
      '--jwks',
      join(dir, 'jwks.json'),
      '--json',
    );
    expect(altered.code).toBe(1);
    expect(JSON.parse(altered.stdout)).toMatchObject({ ok: false });
  });

  it('checks the log proof with the log key given, and fails with another', async () => {
    const evidence = join(dir, 'evidence.json');
    const jwks = join(dir, 'jwks.json');
    const pinned = await verify(evidence, '--jwks', jwks, '--log-key', join(dir, 'log-key.txt'));
    expect(pinned).toMatchObject({ code: 0 });
    expect(pinned.stdout).toMatch(
      /^ok {3}log proof: \d+ audit events in the log under a checkpoint of size \d+, signed by the given log key$/m,
    );
    const other = await verify(
      evidence,
      '--jwks',
      jwks,
      '--log-key',
      join(dir, 'other-log-key.txt'),
    );
    expect(other.code).toBe(1);
    expect(other.stdout).toContain(
      'FAIL log proof: the log key in the bundle is not the one given',
    );
  });

  it('exits 2 on bad usage', async () => {
    expect(await verify(join(dir, 'evidence.json'))).toMatchObject({ code: 2 });
    const jwks = join(dir, 'jwks.json');
    expect(await verify(join(dir, 'evidence.json'), '--jwks', jwks, '--log-key')).toMatchObject({
      code: 2,
    });
    expect(
      await verify(join(dir, 'evidence.json'), '--jwks', jwks, '--log-key', join(dir, 'nope.txt')),
    ).toMatchObject({ code: 2 });
  });
});
