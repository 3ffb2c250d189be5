import { createHash, createPublicKey, verify } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#access';
import { openCheckpoint, parseVerifierKey, signCheckpoint } from '#audit';
import { KeyCipher, LogKeys } from '#credentials';
import { systemClock } from '#domain';
import { LogKeyRow, openDatabase } from '#persistence';
import type { TestBroker } from '../support/broker.js';
import { TEST_ENCRYPTION_KEY, startBroker, testConfigYaml } from '../support/broker.js';
import { auditTrail } from '../support/audit.js';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import { TestIssuer } from '../support/test-issuer.js';

// The test config's publicUrl is http://127.0.0.1:3999.
const DEFAULT_ORIGIN = '127.0.0.1:3999/audit';
const CONFIGURED_ORIGIN = 'countersign.example.com/log';

/** `<name>+<hex id>+<base64>`: the base64 may itself hold '+', the name may not. */
function vkeyParts(vkey: string): [string, string, string] {
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  return [vkey.slice(0, first), vkey.slice(first + 1, second), vkey.slice(second + 1)];
}

describe.each(DATABASE_KINDS)('the audit log key on %s', (kind) => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let broker: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    database = await freshDatabase(kind);
    broker = await startBroker({ kind, issuer, database });
  });

  afterAll(async () => {
    await broker?.close();
    await database?.drop();
    await issuer?.close();
  });

  const logKey = async (on: TestBroker): Promise<string> => {
    const response = await on.http.get('/.well-known/countersign-log-key').expect(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    const body = response.text;
    expect(body).toMatch(/^[^\n]+\n$/);
    return body.slice(0, -1);
  };
  const rows = (on: TestBroker) =>
    on.app.get<DataSource>(DATA_SOURCE).manager.find(LogKeyRow, { order: { generation: 'ASC' } });

  it('publishes, without authentication, a note verifier key named by the default origin', async () => {
    const vkey = await logKey(broker);
    const verifier = parseVerifierKey(vkey);
    expect(verifier.name).toBe(DEFAULT_ORIGIN);
    expect(broker.config.audit).toMatchObject({ origin: DEFAULT_ORIGIN, checkpointInterval: 10 });
  });

  it('signs notes that open with that key, and verify with node:crypto from the vkey alone', async () => {
    const vkey = await logKey(broker);
    const signer = await broker.app.get(LogKeys).signer();
    const rootHash = createHash('sha256').update('a tree').digest();
    const note = signCheckpoint({ origin: DEFAULT_ORIGIN, size: 3, rootHash }, [signer]);
    const opened = openCheckpoint(note, [parseVerifierKey(vkey)], { origin: DEFAULT_ORIGIN });
    expect(opened.checkpoint.size).toBe(3);

    // Independently: `<name>+<hex key id>+<base64(0x01 ‖ key)>`, and `— <name> <base64(id ‖ sig)>`.
    const [name, idHex, keyB64] = vkeyParts(vkey);
    const keyBytes = Buffer.from(keyB64, 'base64');
    expect(keyBytes.length).toBe(33);
    expect(keyBytes[0]).toBe(0x01);
    const expectedId = createHash('sha256').update(`${name}\n`).update(keyBytes).digest();
    expect(idHex).toBe(expectedId.subarray(0, 4).toString('hex'));
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: keyBytes.subarray(1).toString('base64url') },
      format: 'jwk',
    });
    const split = note.lastIndexOf('\n\n');
    const text = note.slice(0, split + 1);
    const lines = note.slice(split + 2, -1).split('\n');
    expect(lines).toHaveLength(1);
    const [dash, signerName, sigB64] = lines[0].split(' ');
    expect([dash, signerName]).toEqual(['\u2014', name]);
    const sig = Buffer.from(sigB64, 'base64');
    expect(sig.subarray(0, 4).toString('hex')).toBe(idHex);
    expect(verify(null, Buffer.from(text, 'utf8'), publicKey, sig.subarray(4))).toBe(true);
    expect(verify(null, Buffer.from(`${text}x`, 'utf8'), publicKey, sig.subarray(4))).toBe(false);
  });

  it('keeps the key encrypted at rest, and records one key.created with no secret', async () => {
    const [row, ...others] = await rows(broker);
    expect(others).toEqual([]);
    expect(row.encrypted).toBe(true);
    expect(row.privateKey.startsWith('v1.')).toBe(true);
    const cipher = new KeyCipher(Buffer.from(TEST_ENCRYPTION_KEY, 'base64'));
    const seed = cipher.open(row.privateKey, true, row.kid);
    expect(Buffer.from(seed, 'base64url')).toHaveLength(32);
    expect(row.privateKey).not.toContain(seed);
    const signer = await broker.app.get(LogKeys).signer();
    expect(parseVerifierKey(await logKey(broker)).keyId).toBe(signer.keyId);

    const created = (await auditTrail(broker, { type: 'key.created' })).filter(
      (event) => event.data.purpose === 'log',
    );
    expect(created.map((event) => [event.actor, event.data])).toEqual([
      ['system', { purpose: 'log', keyId: row.kid }],
    ]);
    const everything = JSON.stringify(await auditTrail(broker, {}));
    expect(everything).not.toContain(seed);
    expect(everything).not.toContain(row.privateKey);
  });

  it('keeps the same key across a restart, named by a configured audit.origin', async () => {
    const before = await logKey(broker);
    const [row] = await rows(broker);
    await broker.close();
    broker = await startBroker({ kind, issuer, database });
    expect(await logKey(broker)).toBe(before);

    await broker.close();
    broker = await startBroker({
      kind,
      issuer,
      database,
      yaml: testConfigYaml(issuer, `audit:\n  origin: ${CONFIGURED_ORIGIN}\n`),
    });
    const renamed = parseVerifierKey(await logKey(broker));
    expect(renamed.name).toBe(CONFIGURED_ORIGIN);
    // The same Ed25519 key under its new name.
    expect(vkeyParts(renamed.vkey)[2]).toBe(vkeyParts(before)[2]);
    expect((await rows(broker)).map((r) => r.kid)).toEqual([row.kid]);
    const created = await auditTrail(broker, { type: 'key.created' });
    expect(created.filter((event) => event.data.purpose === 'log')).toHaveLength(1);
  });
});

describe.each(DATABASE_KINDS)('two brokers creating the first log key at once, on %s', (kind) => {
  it('end with one key, and only one of them reports creating it', async () => {
    const database = await freshDatabase(kind);
    const { url } = database;
    const dataSource = await openDatabase(
      url.startsWith('sqlite:')
        ? { type: 'sqlite', path: url.slice('sqlite:'.length) }
        : { type: 'postgres', url },
    );
    try {
      const cipher = new KeyCipher(Buffer.from(TEST_ENCRYPTION_KEY, 'base64'));
      const brokers = [1, 2, 3].map(
        () => new LogKeys(dataSource, cipher, DEFAULT_ORIGIN, systemClock),
      );
      const created = await Promise.all(brokers.map((keys) => keys.ensureKey()));
      const stored = await dataSource.manager.find(LogKeyRow);
      expect(stored).toHaveLength(1);
      expect(created.filter((kid) => kid !== undefined)).toEqual([stored[0].kid]);
      const vkeys = await Promise.all(brokers.map((keys) => keys.verifierKey()));
      expect(new Set(vkeys).size).toBe(1);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});
