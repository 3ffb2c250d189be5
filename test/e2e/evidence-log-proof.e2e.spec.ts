import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import type { AuditEvent } from '#audit';
import { generateSigner, hashEvent } from '#audit';
import type { EvidenceDocument } from '#evidence';
import { canonicalJson, sealBundle, verifyEvidence } from '#evidence';
import { run } from '../../apps/cli/src/run.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { approvedRequest, as } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

/** One checkpoint an hour at most: only the export's own can cover the story's events. */
const RARE_CHECKPOINTS = `
audit:
  checkpointInterval: 1h
`;

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
  const code = await run(['evidence', 'verify', ...args, '--json'], { stdout, stderr, env });
  return { code, report: JSON.parse(stdout.text) as Awaited<ReturnType<typeof verifyEvidence>> };
}

describe.each(DATABASE_KINDS)('evidence bundles carry audit log proofs, on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  let jwks: JSONWebKeySet;
  let logKey: string;
  let text: string;
  let before: number;
  let dir: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind, issuer, yaml: testConfigYaml(issuer, RARE_CHECKPOINTS) });
    dir = await mkdtemp(join(tmpdir(), 'countersign-evidence-log-'));
    const request = await approvedRequest(broker);
    const alice = await as(broker, 'alice');
    await alice.post(`/v1/requests/${request.id}/credentials`).expect(201);
    const latest = await alice.get('/v1/audit/checkpoint').expect(200);
    before = Number(latest.text.split('\n')[1]);
    text = (await alice.get(`/v1/requests/${request.id}/evidence`).expect(200)).text;
    jwks = (await broker.http.get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet;
    logKey = (await broker.http.get('/.well-known/countersign-log-key').expect(200)).text;
    await writeFile(join(dir, 'jwks.json'), JSON.stringify(jwks));
    await writeFile(join(dir, 'log-key.txt'), logKey);
  });

  afterAll(async () => {
    await broker.close();
    await issuer.close();
    await rm(dir, { recursive: true, force: true });
  });

  const documentOf = (evidence: string) => JSON.parse(evidence) as EvidenceDocument;
  const failures = (report: Awaited<ReturnType<typeof verifyEvidence>>) =>
    report.checks.filter((c) => !c.ok).map((c) => [c.check, c.detail]);

  it('signs a checkpoint over the newest events, with the proofs the log itself serves', async () => {
    const { bundle } = documentOf(text);
    const log = bundle.log!;
    expect(log.key).toBe(logKey.trim());
    const [origin, size] = log.checkpoint.split('\n');
    expect(origin).toBe(broker.config.audit.origin);
    const lastSeq = Math.max(...bundle.auditEvents.map((e) => e.seq));
    // The periodic checkpoint came before the story; the export signed one covering it.
    expect(before).toBeLessThan(lastSeq);
    expect(Number(size)).toBeGreaterThanOrEqual(lastSeq);
    expect(bundle.chainHead.seq).toBe(Number(size));
    const dave = await as(broker, 'dave');
    const atHead = await dave.get(`/v1/audit?cursor=${bundle.chainHead.seq - 1}&limit=1`);
    expect((atHead.body as { items: AuditEvent[] }).items[0].hash).toBe(bundle.chainHead.hash);
    expect(log.inclusion.map((p) => p.seq)).toEqual(bundle.auditEvents.map((e) => e.seq));
    for (const { seq, proof } of log.inclusion) {
      const served = await dave.get(`/v1/audit/proof/inclusion?seq=${seq}&size=${size}`);
      expect(served.status).toBe(200);
      expect(served.body).toMatchObject({ seq, size: Number(size), proof });
    }
  });

  it('signs nothing for someone who may not see the request: 404 first', async () => {
    const request = await approvedRequest(broker);
    const bob = await as(broker, 'bob');
    const mallory = await as(broker, 'mallory');
    const checkpoint = async () => (await bob.get('/v1/audit/checkpoint').expect(200)).text;
    const latest = await checkpoint();
    await mallory.get(`/v1/requests/${request.id}/evidence`).expect(404);
    // The request's events are past the latest checkpoint, and the interval is an hour away.
    expect(await checkpoint()).toBe(latest);
  });

  it('verifies offline with the published log key, or the bundle’s own', async () => {
    const pinned = await verifyEvidence(text, jwks, { logKey });
    expect(failures(pinned)).toEqual([]);
    expect(pinned.checks.find((c) => c.check === 'log proof')?.detail).toMatch(
      /^\d+ audit events in the log under a checkpoint of size \d+, signed by the given log key$/,
    );
    const unpinned = await verifyEvidence(text, jwks);
    expect(failures(unpinned)).toEqual([]);
    expect(unpinned.checks.find((c) => c.check === 'log proof')?.detail).toMatch(
      /signed by the bundle's own log key$/,
    );
  });

  it('fails against a log key that is not the log’s', async () => {
    const other = generateSigner(broker.config.audit.origin).verifier.vkey;
    expect(failures(await verifyEvidence(text, jwks, { logKey: other }))).toEqual([
      ['log proof', 'the log key in the bundle is not the one given'],
    ]);
  });

  /** The bundle changed and sealed again with a key the verifier is told to trust. */
  async function resealed(change: (document: EvidenceDocument) => void) {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const kid = 'stolen-seal-key';
    const trusted: JSONWebKeySet = {
      keys: [...jwks.keys, { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA' }],
    };
    const document = documentOf(text);
    change(document);
    const sealed = await sealBundle(document.bundle, (typ, payload) =>
      new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', kid, typ }).sign(privateKey),
    );
    return { sealed, trusted };
  }

  it('fails the log proof of an event altered, rehashed and sealed again', async () => {
    let altered = 0;
    const { sealed, trusted } = await resealed(({ bundle }) => {
      const { hash: original, ...event } = bundle.auditEvents[0];
      const changed = { ...event, actor: 'corp:mallory' };
      bundle.auditEvents[0] = { ...changed, hash: hashEvent(changed) };
      expect(bundle.auditEvents[0].hash).not.toBe(original);
      altered = changed.seq;
    });
    const size = documentOf(text).bundle.chainHead.seq;
    // The seal, the receipts and every event's own hash hold: only the log tells.
    expect(failures(await verifyEvidence(sealed, trusted, { logKey }))).toEqual([
      ['log proof', `not in the log under its signed checkpoint (size ${size}): event ${altered}`],
    ]);

    await writeFile(join(dir, 'altered.json'), sealed);
    await writeFile(join(dir, 'trusted.json'), JSON.stringify(trusted));
    const cli = await cliVerify(
      join(dir, 'altered.json'),
      '--jwks',
      join(dir, 'trusted.json'),
      '--log-key',
      join(dir, 'log-key.txt'),
    );
    expect(cli.code).toBe(15);
    expect(failures(cli.report)).toEqual([
      ['log proof', `not in the log under its signed checkpoint (size ${size}): event ${altered}`],
    ]);
  });

  it('passes the CLI offline with the log key from a file', async () => {
    await writeFile(join(dir, 'evidence.json'), text);
    const cli = await cliVerify(
      join(dir, 'evidence.json'),
      '--jwks',
      join(dir, 'jwks.json'),
      '--log-key',
      join(dir, 'log-key.txt'),
    );
    expect(cli.code).toBe(0);
    expect(cli.report.checks.find((c) => c.check === 'log proof')).toMatchObject({ ok: true });
  });

  it('still verifies a bundle from before the log, saying it has no log proof', async () => {
    const { sealed, trusted } = await resealed(({ bundle }) => {
      delete bundle.log;
    });
    expect(canonicalJson(documentOf(sealed).bundle)).not.toContain('"log"');
    const report = await verifyEvidence(sealed, trusted, { logKey });
    expect(failures(report)).toEqual([]);
    expect(report.checks.find((c) => c.check === 'log proof')).toEqual({
      check: 'log proof',
      ok: true,
      detail: 'no log proof (a bundle made before the transparency log)',
    });
  });

  it('refuses a log section with an unknown field or a proof out of bounds', async () => {
    const shape = async (change: (document: EvidenceDocument) => void) => {
      const { sealed, trusted } = await resealed(change);
      return (await verifyEvidence(sealed, trusted)).checks.find((c) => c.check === 'shape');
    };
    expect(await shape(({ bundle }) => Object.assign(bundle.log!, { witness: 'x' }))).toMatchObject(
      { ok: false },
    );
    expect(
      await shape(({ bundle }) => {
        bundle.log!.inclusion[0].proof = Array<string>(65).fill(
          Buffer.alloc(32).toString('base64'),
        );
      }),
    ).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^bundle\.log\.inclusion\.0\.proof/),
    });
  });
});
