import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { demoConfigYaml, parseConfig } from '#config';
import { KeyCipher, SigningKeys } from '#credentials';
import type { Clock } from '#domain';
import { SigningKeyRow, UnitOfWork, openDatabase } from '#persistence';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';

const clock: Clock = { now: () => new Date() };
const ENCRYPTION_KEY = randomBytes(32);

// Keys a demo run stored in the clear are sealed in place once an encryption key is configured:
// idempotently, and by exactly one of two brokers starting at once.
describe.each(DATABASE_KINDS)('SigningKeys.sealPlaintextKeys on %s', (kind) => {
  let database: FreshDatabase;
  const opened: DataSource[] = [];

  const open = async () => {
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    const dataSource = await openDatabase(config.database);
    opened.push(dataSource);
    return dataSource;
  };
  const keysOn = (dataSource: DataSource, key: Buffer | undefined) =>
    new SigningKeys(dataSource, new KeyCipher(key), 'EdDSA', clock);
  const rows = (dataSource: DataSource) =>
    dataSource.manager.find(SigningKeyRow, { order: { kid: 'ASC' } });

  beforeEach(async () => {
    database = await freshDatabase(kind);
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((dataSource) => dataSource.destroy()));
    await database.drop();
  });

  /** A demo-style database: an active key and a retired one, both stored in the clear. */
  async function plaintextKeys(dataSource: DataSource): Promise<SigningKeyRow[]> {
    const demo = keysOn(dataSource, undefined);
    await demo.ensureActiveKey();
    await demo.rotate(3600);
    await expect(demo.sealPlaintextKeys()).resolves.toEqual([]);
    const before = await rows(dataSource);
    expect(before.map((row) => row.encrypted)).toEqual([false, false]);
    return before;
  }

  it('seals every plaintext key (retired too), which then opens only with the key', async () => {
    const dataSource = await open();
    const before = await plaintextKeys(dataSource);
    const keys = keysOn(dataSource, ENCRYPTION_KEY);
    const activeBefore = await keysOn(dataSource, undefined).activeKey();

    const sealed = await new UnitOfWork(dataSource).run((tx) => keys.sealPlaintextKeys(tx));
    expect(sealed.sort()).toEqual(before.map((row) => row.kid));
    const after = await rows(dataSource);
    for (const [i, row] of after.entries()) {
      expect(row.encrypted).toBe(true);
      expect(row.privateKey).not.toBe(before[i].privateKey);
      expect(row.privateKey).not.toContain(JSON.parse(before[i].privateKey).d as string);
      expect(new KeyCipher(ENCRYPTION_KEY).open(row.privateKey, true, row.kid)).toBe(
        before[i].privateKey,
      );
      expect(row.publicJwk).toBe(before[i].publicJwk);
    }
    await expect(keys.activeKey()).resolves.toMatchObject({ kid: activeBefore.kid });
    await expect(keysOn(dataSource, undefined).activeKey()).rejects.toThrow(
      'COUNTERSIGN_ENCRYPTION_KEY is not set',
    );
    // Idempotent: nothing left to seal.
    await expect(keys.sealPlaintextKeys()).resolves.toEqual([]);
    expect(await rows(dataSource)).toEqual(after);
  });

  it('leaves keys alone when no encryption key is configured', async () => {
    const dataSource = await open();
    const before = await plaintextKeys(dataSource);
    await expect(keysOn(dataSource, undefined).sealPlaintextKeys()).resolves.toEqual([]);
    expect(await rows(dataSource)).toEqual(before);
  });

  it('seals each key exactly once when two brokers start at the same instant', async () => {
    const first = await open();
    const plain = await plaintextKeys(first);
    const kids = plain.map((row) => row.kid);
    // PostgreSQL: two processes, each with its own pool. SQLite: one process (its only shape).
    const second = kind === 'postgres' ? await open() : first;
    const uows = [new UnitOfWork(first), kind === 'postgres' ? new UnitOfWork(second) : undefined];
    for (let round = 0; round < 5; round++) {
      if (round > 0) {
        // Back to the demo database's plaintext rows for the next round.
        for (const row of plain) {
          await first.manager.update(
            SigningKeyRow,
            { kid: row.kid },
            { privateKey: row.privateKey, encrypted: false },
          );
        }
      }
      const sealedBy = await Promise.all(
        [first, second].map((dataSource, i) => {
          const uow = uows[i] ?? uows[0]!;
          return uow.run((tx) => keysOn(dataSource, ENCRYPTION_KEY).sealPlaintextKeys(tx));
        }),
      );
      expect(sealedBy.flat().sort()).toEqual(kids);
      const after = await rows(first);
      expect(after.every((row) => row.encrypted)).toBe(true);
    }
  });
});
