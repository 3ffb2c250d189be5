import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AuditLog } from '#audit';
import { demoConfigYaml, parseConfig } from '#config';
import { KeyCipher, SshCertificateAuthority } from '#credentials';
import type { Clock } from '#domain';
import { SshCaKeyRow, UnitOfWork, openDatabase } from '#persistence';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';

const clock: Clock = { now: () => new Date() };

describe.each(DATABASE_KINDS)('SshCertificateAuthority on %s', (kind) => {
  let database: FreshDatabase;
  let dataSource: DataSource;
  let uow: UnitOfWork;
  let authority: SshCertificateAuthority;

  beforeEach(async () => {
    database = await freshDatabase(kind);
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    dataSource = await openDatabase(config.database);
    uow = new UnitOfWork(dataSource);
    authority = new SshCertificateAuthority(
      new KeyCipher(randomBytes(32)),
      new AuditLog(clock),
      clock,
    );
  });

  afterEach(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('forgets a first key whose transaction rolled back: the next mint signs with the key stored', async () => {
    const failed = uow.run(async (tx) => {
      await authority.signingKey(tx);
      throw new Error('the mint failed after the provider');
    });
    await expect(failed).rejects.toThrow('the mint failed');
    expect(await dataSource.manager.count(SshCaKeyRow)).toBe(0);

    const used = await uow.run((tx) => authority.signingKey(tx));
    const stored = await dataSource.manager.find(SshCaKeyRow);
    expect(stored.map((row) => row.kid)).toEqual([used.kid]);
    // Read back from the database now, and cached: the same key.
    expect((await uow.run((tx) => authority.signingKey(tx))).kid).toBe(used.kid);
  });

  it('rotates: the new generation signs, both are listed with the old one retired', async () => {
    const first = await uow.run((tx) => authority.signingKey(tx));
    const rotation = await uow.run((tx) => authority.rotate(tx));
    expect(rotation.previous).toBe(first.kid);
    const next = await uow.run((tx) => authority.signingKey(tx));
    expect(next.kid).toBe(rotation.keyId);
    const listed = await authority.publicKeys(dataSource.manager);
    expect(listed.map((key) => [key.kid, key.retiredAt === null])).toEqual([
      [first.kid, false],
      [rotation.keyId, true],
    ]);
  });
});
