import { createHash, createPublicKey, verify } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#access';
import { LogKeys } from '#credentials';
import { UnitOfWork } from '#persistence';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { auditTrail } from '../support/audit.js';
import type { AuditEventBody } from '../support/audit.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { approvedRequest, as } from '../support/flow.js';
import { auditPath, b64, consistency, eventLeaf, merkleRoot } from '../support/independent-log.js';
import { tamperWithAuditLog } from '../support/tamper.js';
import { TestIssuer } from '../support/test-issuer.js';

const ORIGIN = '127.0.0.1:3999/audit';

type LoggedEvent = AuditEventBody & { id: string; at: string; prevHash: string; hash: string };

/**
 * A checkpoint note read with no code of the broker's: the vkey `<name>+<hex id>+<base64(0x01 ‖
 * key)>`, the signature line `— <name> <base64(id ‖ Ed25519 signature)>` over the text.
 */
function readCheckpoint(note: string, vkey: string): { size: number; rootHash: string } {
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  const [name, keyId] = [vkey.slice(0, first), vkey.slice(first + 1, second)];
  const keyBytes = Buffer.from(vkey.slice(second + 1), 'base64');
  expect(keyBytes[0]).toBe(0x01);
  const split = note.indexOf('\n\n');
  const text = note.slice(0, split + 1);
  const prefix = `\u2014 ${name} `;
  const line = note
    .slice(split + 2)
    .split('\n')
    .find((l) => l.startsWith(prefix));
  const blob = Buffer.from(line?.slice(prefix.length) ?? '', 'base64');
  expect(blob.subarray(0, 4).toString('hex')).toBe(keyId);
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: keyBytes.subarray(1).toString('base64url') },
    format: 'jwk',
  });
  expect(verify(null, Buffer.from(text, 'utf8'), publicKey, blob.subarray(4))).toBe(true);
  const [origin, size, rootHash, ...rest] = text.slice(0, -1).split('\n');
  expect(origin).toBe(ORIGIN);
  expect(rest).toEqual([]);
  return { size: Number(size), rootHash };
}

const leafHash = (leaf: Buffer): string =>
  b64(createHash('sha256').update(Buffer.of(0)).update(leaf).digest());

describe.each(DATABASE_KINDS)('the transparency log on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  let events: LoggedEvent[];
  let leaves: Buffer[];

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({
      kind,
      issuer,
      yaml: testConfigYaml(issuer, 'audit:\n  checkpointInterval: 1s\n'),
    });
    // Enough events for trees of 2^5 + 1 leaves and more.
    while ((await auditTrail(broker, {})).length < 40) await approvedRequest(broker);
    events = (await auditTrail(broker, {})) as LoggedEvent[];
    leaves = events.map(eventLeaf);
  });

  afterAll(async () => {
    await broker?.close();
    await issuer?.close();
  });

  const vkey = async () =>
    (await broker.http.get('/.well-known/countersign-log-key').expect(200)).text.trim();

  it('serves its latest checkpoint to any principal, signed by the published key, over the events as listed', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the checkpoint interval
    const alice = await as(broker, 'alice');
    const response = await alice.get('/v1/audit/checkpoint').expect(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    const checkpoint = readCheckpoint(response.text, await vkey());
    expect(checkpoint.size).toBeGreaterThanOrEqual(events.length);
    const now = (await auditTrail(broker, {})) as LoggedEvent[];
    expect(now.slice(0, events.length)).toEqual(events);
    expect(checkpoint.rootHash).toBe(b64(merkleRoot(now.slice(0, checkpoint.size).map(eventLeaf))));
    // Every leaf is the event's canonical JSON exactly as GET /v1/audit returned it.
    expect(eventLeaf(events[0]).toString('utf8')).toBe(canonicalize(events[0]));
    await broker.http.get('/v1/audit/checkpoint').expect(401);
    // Everything committed is integrated by now: nothing waits.
    const metrics = await broker.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^countersign_audit_pending_events 0$/m);
  });

  it('proves inclusion as RFC 9162 does, for trees of 1, 2, 3, 2^k and 2^k + 1 leaves', async () => {
    const alice = await as(broker, 'alice');
    const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 32, 33, leaves.length];
    for (const size of sizes) {
      for (const seq of new Set([1, Math.ceil(size / 2), size])) {
        const { body } = await alice
          .get(`/v1/audit/proof/inclusion?seq=${seq}&size=${size}`)
          .expect(200);
        expect(body).toEqual({
          seq,
          size,
          leafHash: leafHash(leaves[seq - 1]),
          proof: auditPath(seq - 1, leaves.slice(0, size)).map(b64),
        });
      }
    }
  });

  it('proves consistency as RFC 9162 does, between any two sizes', async () => {
    const alice = await as(broker, 'alice');
    const pairs = [
      [0, 5],
      [1, 1],
      [1, 2],
      [2, 3],
      [3, 7],
      [4, 8],
      [5, 9],
      [8, 17],
      [16, 33],
      [17, leaves.length],
    ];
    for (const [from, to] of pairs) {
      const { body } = await alice
        .get(`/v1/audit/proof/consistency?from=${from}&to=${to}`)
        .expect(200);
      expect(body).toEqual({ from, to, proof: consistency(from, leaves.slice(0, to)).map(b64) });
    }
  });

  it.each([
    ['inclusion?seq=x&size=3', 'seq'],
    ['inclusion?seq=1&size=-1', 'size'],
    ['inclusion?seq=0&size=3', 'seq'],
    ['inclusion?seq=4&size=3', 'seq'],
    ['inclusion?seq=1&size=99999999', 'size'],
    ['inclusion?seq=1', 'size'],
    ['inclusion?seq=1&size=2&extra=1', 'extra'],
    ['consistency?from=3&to=2', 'from'],
    ['consistency?from=1&to=1.5', 'to'],
    ['consistency?from=1&to=99999999', 'to'],
  ])('refuses proof/%s naming %s', async (query, field) => {
    const alice = await as(broker, 'alice');
    const { body } = await alice.get(`/v1/audit/proof/${query}`).expect(400);
    expect(body).toMatchObject({ error: 'invalid_request' });
    expect(String(body.message)).toContain(field);
  });

  it('signs with a rotated log key from then on, and still verifies what the previous one signed', async () => {
    const previous = await vkey();
    await broker.app.get(UnitOfWork).run((tx) => broker.app.get(LogKeys).rotate(tx));
    await approvedRequest(broker);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const alice = await as(broker, 'alice');
    const note = (await alice.get('/v1/audit/checkpoint').expect(200)).text;
    const current = await vkey();
    expect(current).not.toBe(previous);
    expect(readCheckpoint(note, current).size).toBeGreaterThan(events.length);
    const all = await broker.http.get('/.well-known/countersign-log-keys').expect(200);
    expect(all.text).toBe(`${previous}\n${current}\n`);
    const dave = await as(broker, 'dave');
    const verification = await dave.get('/v1/audit/verify').expect(200);
    expect(verification.body).toMatchObject({ ok: true });
  });

  // Last: it rewrites the log for good.
  it('reports a chain rewritten consistently behind its back, against the checkpoints it kept', async () => {
    const dave = await as(broker, 'dave');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const before = await dave.get('/v1/audit/verify').expect(200);
    expect(before.body).toMatchObject({ ok: true });
    const kept = (before.body as { checkpoint: { size: number } }).checkpoint.size;

    // Change event 10, then recompute every later hash and the recorded head, as someone with
    // the database (but not the log key) would to hide it.
    const all = (await auditTrail(broker, {})) as LoggedEvent[];
    const dataSource = broker.app.get<DataSource>(DATA_SOURCE);
    const [p1, p2, p3, p4] = kind === 'postgres' ? ['$1', '$2', '$3', '$4'] : ['?', '?', '?', '?'];
    let prevHash = all[8].hash;
    for (const event of all.slice(9)) {
      const data = event.seq === 10 ? { ...event.data, rewritten: true } : event.data;
      const rest = Object.fromEntries(
        Object.entries({ ...event, data }).filter(([key]) => key !== 'hash' && key !== 'prevHash'),
      );
      const hash = createHash('sha256')
        .update(prevHash + canonicalize(rest))
        .digest('hex');
      await tamperWithAuditLog(
        dataSource,
        `UPDATE audit_events SET data = ${p1}, prev_hash = ${p2}, hash = ${p3} WHERE seq = ${p4}`,
        [JSON.stringify(data), prevHash, hash, event.seq],
      );
      prevHash = hash;
    }
    await dataSource.query(`UPDATE audit_head SET hash = ${p1}`, [prevHash]);

    const after = await dave.get('/v1/audit/verify').expect(200);
    expect(after.body).toMatchObject({ ok: false, reason: 'checkpoint_mismatch' });
    const brokenAt = (after.body as { brokenAt: number }).brokenAt;
    expect(brokenAt).toBeGreaterThanOrEqual(10);
    expect(brokenAt).toBeLessThanOrEqual(kept);
  });
});
