import type { DataSource } from 'typeorm';
import type { AuditEventInput } from '#audit';
import { AuditLog, LogIntegrator, countPending } from '#audit';
import { demoConfigYaml, parseConfig } from '#config';
import { systemClock } from '#domain';
import { UnitOfWork, openDatabase } from '#persistence';
import { testAuditLog } from '../support/audit-log.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import type { DatabaseKind, FreshDatabase } from '../support/databases.js';

const events = (n: number, actor: string): AuditEventInput[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'request.created', actor, data: { i } }));

async function open(database: FreshDatabase): Promise<DataSource> {
  const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
  return openDatabase(config.database);
}

describe.each(DATABASE_KINDS)('the log integrator on %s', (kind: DatabaseKind) => {
  let database: FreshDatabase;
  const opened: DataSource[] = [];

  beforeEach(async () => {
    database = await freshDatabase(kind);
  });

  afterEach(async () => {
    for (const dataSource of opened.splice(0)) {
      if (dataSource.isInitialized) await dataSource.destroy();
    }
    await database.drop();
  });

  const connect = async () => {
    const dataSource = await open(database);
    opened.push(dataSource);
    return dataSource;
  };

  it('loses nothing when the writer dies between its commit and integration', async () => {
    const writer = await connect();
    // A writer with no integrator at all: its events commit to pending and stay there.
    const audit = new AuditLog(systemClock);
    const uow = new UnitOfWork(writer);
    for (let t = 0; t < 5; t++) {
      await uow.run((tx) => audit.appendMany(tx, events(3, `corp:writer-${t}`)));
    }
    expect(await countPending(writer.manager)).toBe(15);
    await writer.destroy();

    const survivor = await connect();
    const log = testAuditLog(survivor);
    const verification = await log.verify();
    expect(verification).toMatchObject({ ok: true, events: 15, checkpoint: { size: 15 } });
    const integrated = await log.list({ limit: 100 });
    expect(integrated.map((e) => e.actor)).toEqual(
      Array.from({ length: 5 }, (_, t) => Array(3).fill(`corp:writer-${t}`) as string[]).flat(),
    );
    expect(integrated.map((e) => e.data.i)).toEqual(Array(5).fill([0, 1, 2]).flat());
    expect(await countPending(survivor.manager)).toBe(0);
  });

  it('refuses an event holding a lone surrogate in its transaction, and repairs one written around it', async () => {
    const dataSource = await connect();
    const uow = new UnitOfWork(dataSource);
    const log = testAuditLog(dataSource, uow);
    await expect(
      uow.run((tx) =>
        log.audit.append(tx, {
          type: 'request.created',
          actor: 'corp:a',
          data: { justification: 'half \ud800 a pair' },
        }),
      ),
    ).rejects.toThrow(/not serialisable: lone surrogate/i);
    expect(await countPending(dataSource.manager)).toBe(0);

    // Someone with the database writes one anyway: it must not stop the log behind it.
    const p = (n: number) => (kind === 'postgres' ? `$${n}` : '?');
    await dataSource.query(
      `INSERT INTO audit_pending (txn, ord, event_id, at, type, actor, data)
       VALUES (0, 0, 'e1', ${p(1)}, 'request.created', 'corp:raw', ${p(2)})`,
      [Date.now(), '{"text":"half \\ud800 a pair, \\\\ud800 as text"}'],
    );
    await uow.run((tx) => log.audit.append(tx, { type: 'request.created', actor: 'corp:after' }));
    await expect(log.verify()).resolves.toMatchObject({ ok: true, events: 2 });
    const [repaired, after] = await log.list({ limit: 10 });
    expect(repaired).toMatchObject({
      actor: 'corp:raw',
      data: { text: 'half \ufffd a pair, \\ud800 as text' },
    });
    expect(after.actor).toBe('corp:after');
  });

  it('never forks the log when integrators race, and keeps each transaction together', async () => {
    // Two processes' worth of connections and integrators on one database (one on SQLite,
    // where the broker is a single process).
    const sources = kind === 'postgres' ? [await connect(), await connect()] : [await connect()];
    const units = sources.map((dataSource) => new UnitOfWork(dataSource));
    const first = testAuditLog(sources[0], units[0]);
    const logs = [
      first,
      ...sources.slice(1).map((d, i) => testAuditLog(d, units[i + 1], first.signer)),
    ];
    const writers = 24;
    const perTransaction = 4;
    let racing = true;
    const races = logs.map(async (log) => {
      while (racing) {
        log.integrator.kick();
        await log.integrator.catchUp();
      }
    });
    await Promise.all(
      Array.from({ length: writers }, (_, w) => {
        const log = logs[w % logs.length];
        const uow = units[w % units.length];
        return (async () => {
          for (let t = 0; t < 5; t++) {
            await uow.run((tx) =>
              log.audit.appendMany(tx, events(perTransaction, `corp:w${w}-t${t}`)),
            );
          }
        })();
      }),
    );
    racing = false;
    await Promise.all(races);

    const total = writers * 5 * perTransaction;
    await expect(logs[0].verify()).resolves.toMatchObject({ ok: true, events: total });
    await expect(logs[logs.length - 1].verify()).resolves.toMatchObject({
      ok: true,
      events: total,
    });
    const integrated = await logs[0].list({ limit: total + 1 });
    expect(integrated.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(new Set(integrated.map((e) => e.id)).size).toBe(total);
    for (let i = 0; i < total; i += perTransaction) {
      const group = integrated.slice(i, i + perTransaction);
      expect(group.map((e) => e.actor)).toEqual(Array(perTransaction).fill(group[0].actor));
      expect(group.map((e) => e.data.i)).toEqual([0, 1, 2, 3]);
    }
  });

  it('integrates in batches, whole transactions at a time, and checkpoints at most once per interval', async () => {
    const dataSource = await connect();
    const uow = new UnitOfWork(dataSource);
    const log = testAuditLog(dataSource, uow);
    // Three transactions of 5 in a batch of 4: the cut never falls inside a transaction.
    const small = new LogIntegrator(
      uow,
      { signerIfCreated: () => Promise.resolve(log.signer) },
      systemClock,
      { origin: log.identity.origin, checkpointIntervalMs: 60_000, batchSize: 4 },
    );
    for (let t = 0; t < 3; t++) {
      await uow.run((tx) => log.audit.appendMany(tx, events(5, `corp:t${t}`)));
    }
    await small.catchUp();
    const integrated = await log.audit.list(dataSource.manager, { limit: 100 });
    expect(integrated.map((e) => e.actor)).toEqual(
      ['corp:t0', 'corp:t1', 'corp:t2'].flatMap((a) => Array(5).fill(a) as string[]),
    );
    // The first catch-up signs one; more events within the interval wait for the next.
    await uow.run((tx) => log.audit.appendMany(tx, events(2, 'corp:later')));
    await small.catchUp();
    const [{ n }] = await dataSource.query<Array<{ n: string | number }>>(
      'SELECT COUNT(*) AS n FROM audit_checkpoints',
    );
    expect(Number(n)).toBe(1);
    await expect(log.audit.verify(dataSource.manager, log.identity)).resolves.toMatchObject({
      ok: true,
      events: 17,
      checkpoint: { size: 15 },
    });
  });
});
