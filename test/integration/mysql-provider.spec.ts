import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { createConnection } from 'mysql2/promise';
import { ProviderReconciler, ProviderRegistry } from '#access';
import { FixedClock } from '#domain';
import { GrantRow, UnitOfWork } from '#persistence';
import type { MysqlProvider } from '../../libs/access/src/providers/mysql-provider.js';
import { mysqlUserName as mysqlUser } from '../../libs/access/src/providers/mysql-user-name.js';
import { auditTrail } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import type { DatabaseKind, FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import { as, createRequest, eventually } from '../support/flow.js';
import { TcpRelay } from '../support/tcp-relay.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(30_000);

// Users and roles are server-wide: this file's are named with a prefix of its own, and only those
// (and its own database and role) are ever dropped here.
const suffix = randomBytes(2).toString('hex');
const DATABASE = `cst${suffix}`;
const ROLE = `cst${suffix}_reader`;
const ADMIN = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

/** A login as a user that does not exist: MariaDB 10.11 refuses it with 1045 or, now and then, 1698. */
const LOGIN_OF_NO_USER_REFUSED = /^ERROR (1045|1698) \(28000\): Access denied for user/;

interface MysqlCredential {
  type: 'mysql';
  host: string;
  port: number;
  user: string;
  password: string;
  url: string;
}

interface Minted {
  grantId: string;
  requestId: string;
  expiresAt: string;
  credential: MysqlCredential;
}

async function admin<T = RowDataPacket[]>(sql: string, values: unknown[] = []): Promise<T> {
  const connection = await createConnection(ADMIN);
  try {
    return (await connection.query(sql, values))[0] as T;
  } finally {
    await connection.end();
  }
}

async function userExists(user: string): Promise<boolean> {
  const rows = await admin<RowDataPacket[]>('SELECT 1 FROM mysql.user WHERE User = ?', [user]);
  return rows.length > 0;
}

/**
 * Runs SQL with the real `mariadb` client as the credential's user, the password in MYSQL_PWD
 * (never on the command line). Resolves with its output, or rejects with its error text.
 */
async function mariadbClient(credential: MysqlCredential, sql: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(
      'mariadb',
      [
        '--protocol=TCP',
        `--host=${credential.host}`,
        `--port=${credential.port}`,
        `--user=${credential.user}`,
        '--batch',
        '--skip-column-names',
        DATABASE,
        '-e',
        sql,
      ],
      { env: { ...process.env, MYSQL_PWD: credential.password } },
    );
    return stdout.trim();
  } catch (error) {
    throw new Error((error as { stderr?: string }).stderr?.trim() ?? String(error), {
      cause: error,
    });
  }
}

/** A session as the credential's user; errors after it is killed are collected, not thrown. */
async function loginWith(credential: MysqlCredential): Promise<Connection> {
  const connection = await createConnection({
    host: credential.host,
    port: credential.port,
    user: credential.user,
    password: credential.password,
    database: DATABASE,
  });
  connection.on('error', () => undefined);
  return connection;
}

async function sessionEnded(connection: Connection): Promise<boolean> {
  try {
    await connection.query('SELECT 1');
    return false;
  } catch {
    return true;
  }
}

describe.each<DatabaseKind>(DATABASE_KINDS)(
  'the mysql provider, through the broker on %s',
  (kind) => {
    const prefix = `c${suffix}${kind[0]}`;
    let issuer: TestIssuer;
    let database: FreshDatabase;
    let broker: TestBroker;
    /** Another broker on the same database and config (a restart). */
    let start: () => Promise<TestBroker>;
    /** The broker's way to MariaDB for the role `db-relayed`: taken down to make it unreachable. */
    const relay = new TcpRelay(3306);

    beforeAll(async () => {
      issuer = await TestIssuer.start();
      database = await freshDatabase(kind);
      const setup = [
        `CREATE DATABASE IF NOT EXISTS ${DATABASE}`,
        `CREATE TABLE IF NOT EXISTS ${DATABASE}.readable (id int PRIMARY KEY, label text)`,
        `INSERT IGNORE INTO ${DATABASE}.readable VALUES (1, 'one'), (2, 'two')`,
        `CREATE TABLE IF NOT EXISTS ${DATABASE}.hidden (id int)`,
        `CREATE ROLE IF NOT EXISTS ${ROLE}`,
        `GRANT SELECT ON ${DATABASE}.readable TO ${ROLE}`,
      ];
      for (const sql of setup) await admin(sql);
      await relay.start();
      const role = (name: string, url: string) => `
    - name: ${name}
      resource: mysql://test/${DATABASE}/${name}
      actions: [db:read]
      maxDuration: 1h
      defaultDuration: 10m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      provider:
        type: mysql
        url: ${url}
        grantRole: ${ROLE}
        userPrefix: ${prefix}
`;
      const yaml = testConfigYaml(
        issuer,
        role('db-read', '${DB_ADMIN_URL}') + role('db-relayed', '${RELAYED_URL}'),
      );
      const env = {
        DB_ADMIN_URL: `mysql://root@127.0.0.1:3306/${DATABASE}`,
        RELAYED_URL: `mysql://root@127.0.0.1:${relay.port}/${DATABASE}`,
      };
      start = () => startBroker({ kind, issuer, database, yaml, env });
      broker = await start();
    });

    afterAll(async () => {
      await broker.close();
      await relay.stop();
      await database.drop();
      const ours = await admin<{ User: string; Host: string }[]>(
        'SELECT User, Host FROM mysql.user WHERE LEFT(User, ?) = ?',
        [prefix.length, prefix],
      );
      for (const { User, Host } of ours) await admin('DROP USER IF EXISTS ?@?', [User, Host]);
      await issuer.close();
    });

    afterAll(async () => {
      // Once both database kinds are done with them.
      if (kind !== DATABASE_KINDS[DATABASE_KINDS.length - 1]) return;
      await admin(`DROP ROLE IF EXISTS ${ROLE}`);
      await admin(`DROP DATABASE IF EXISTS ${DATABASE}`);
    });

    async function mint(duration = '10m', role = 'db-read'): Promise<Minted> {
      const request = await createRequest(broker, 'alice', { role, duration });
      await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
      const response = await (
        await as(broker, 'alice')
      )
        .post(`/v1/requests/${request.id}/credentials`)
        .expect(201);
      return { ...(response.body as Omit<Minted, 'requestId'>), requestId: request.id };
    }

    async function revoke(grantId: string) {
      await (
        await as(broker, 'alice')
      )
        .post(`/v1/grants/${grantId}/revoke`, { reason: 'done' })
        .expect(200);
    }

    it('mints a user that logs in with the mariadb client and holds exactly the role', async () => {
      // MariaDB's general log records statements as written: on while minting, it must not get
      // the password.
      const [saved] = await admin<{ general: number; output: string }[]>(
        'SELECT @@GLOBAL.general_log AS general, @@GLOBAL.log_output AS output',
      );
      await admin("SET GLOBAL log_output = 'TABLE'");
      await admin('SET GLOBAL general_log = 1');
      let minted: Minted;
      try {
        minted = await mint();
      } finally {
        await admin('SET GLOBAL general_log = ?', [saved.general]);
        await admin('SET GLOBAL log_output = ?', [saved.output]);
      }
      const { credential } = minted;
      const logged = await admin<{ statement: string }[]>(
        `SELECT CONVERT(argument USING utf8mb4) AS statement FROM mysql.general_log
           WHERE CONVERT(argument USING utf8mb4) LIKE CONCAT('%', ?, '%')`,
        [credential.user],
      );
      if (saved.general === 0) await admin('TRUNCATE mysql.general_log');
      const statements = logged.map((row) => row.statement).join('\n');
      expect(statements).toMatch(/CREATE USER IF NOT EXISTS/);
      expect(statements).not.toContain(credential.password);

      expect(credential).toEqual({
        type: 'mysql',
        host: '127.0.0.1',
        port: 3306,
        user: expect.stringMatching(new RegExp(`^${prefix}[0-9a-z]{25}$`)),
        password: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
        url: `mysql://${credential.user}:${credential.password}@127.0.0.1:3306/${DATABASE}`,
      });
      expect(credential.user.length).toBeLessThanOrEqual(32);

      expect(
        await mariadbClient(
          credential,
          'SELECT CURRENT_USER(), CURRENT_ROLE(), COUNT(*) FROM readable',
        ),
      ).toBe(`${credential.user}@%\t${ROLE}\t2`);
      await expect(
        mariadbClient(credential, "INSERT INTO readable VALUES (3, 'x')"),
      ).rejects.toThrow(/ERROR 1142 .*INSERT command denied/);
      await expect(mariadbClient(credential, 'SELECT * FROM hidden')).rejects.toThrow(/ERROR 1142/);
      await expect(mariadbClient(credential, 'CREATE USER intruder')).rejects.toThrow(/ERROR 1227/);
      // Nothing but the role (and the login itself), with the hash MariaDB computes itself.
      const [{ hash }] = await admin<{ hash: string }[]>('SELECT PASSWORD(?) AS hash', [
        credential.password,
      ]);
      const grants = await admin<Record<string, string>[]>(`SHOW GRANTS FOR ?@'%'`, [
        credential.user,
      ]);
      expect(grants.map((row) => Object.values(row)[0])).toEqual([
        `GRANT \`${ROLE}\` TO \`${credential.user}\`@\`%\``,
        `GRANT USAGE ON *.* TO \`${credential.user}\`@\`%\` IDENTIFIED BY PASSWORD '${hash}'`,
        `SET DEFAULT ROLE \`${ROLE}\` FOR \`${credential.user}\`@\`%\``,
      ]);

      // The password is handed out once: never in the audit log.
      const events = await auditTrail(broker, { requestId: minted.requestId });
      expect(events.find((e) => e.type === 'credential.issued')?.data).toMatchObject({
        provider: 'mysql',
      });
      expect(JSON.stringify(events)).not.toContain(credential.password);
    });

    it('kills the open session, drops the user and refuses logins once the grant is revoked', async () => {
      const minted = await mint();
      const session = await loginWith(minted.credential);
      expect(await sessionEnded(session)).toBe(false);

      await revoke(minted.grantId);

      expect(await sessionEnded(session)).toBe(true);
      expect(await userExists(minted.credential.user)).toBe(false);
      await expect(mariadbClient(minted.credential, 'SELECT 1')).rejects.toThrow(
        LOGIN_OF_NO_USER_REFUSED,
      );
      // Idempotent: revoking again answers the ended grant.
      await revoke(minted.grantId);
    });

    it('kills the session and drops the user at expiry', async () => {
      const minted = await mint('3s');
      const session = await loginWith(minted.credential);
      await eventually(async () => {
        const grant = await (
          await as(broker, 'dave')
        )
          .get(`/v1/grants/${minted.grantId}`)
          .expect(200);
        return grant.body.status === 'expired' ? true : undefined;
      }, 8000);
      expect(await sessionEnded(session)).toBe(true);
      expect(await userExists(minted.credential.user)).toBe(false);
    });

    it('keeps overlapping grants independent', async () => {
      const first = await mint();
      const second = await mint();
      expect(first.credential.user).not.toBe(second.credential.user);
      const one = await loginWith(first.credential);
      const two = await loginWith(second.credential);

      await revoke(first.grantId);
      expect(await sessionEnded(one)).toBe(true);
      expect(await sessionEnded(two)).toBe(false);
      expect(await mariadbClient(second.credential, 'SELECT COUNT(*) FROM readable')).toBe('2');

      await revoke(second.grantId);
      expect(await sessionEnded(two)).toBe(true);
      expect(await userExists(second.credential.user)).toBe(false);
    });

    it('grants idempotently: the same grant id again resets the one user it names', async () => {
      const role = broker.config.policy.roles.find((r) => r.name === 'db-read')!;
      const provider = broker.app.get(ProviderRegistry).forRole(role) as MysqlProvider;
      const grant = Object.assign(new GrantRow(), {
        id: randomUUID(),
        issuedAt: new Date(),
        expiresAt: new Date(Date.now() + 60_000),
      });
      const first = (await provider.grant(grant)).credential as MysqlCredential;
      const second = (await provider.grant(grant)).credential as MysqlCredential;
      expect(second.user).toBe(first.user);
      expect(await mariadbClient(second, 'SELECT COUNT(*) FROM readable')).toBe('2');
      await expect(mariadbClient(first, 'SELECT 1')).rejects.toThrow(/ERROR 1045/);
      await provider.revoke(grant);
      await provider.revoke(grant);
      expect(await userExists(first.user)).toBe(false);
    });

    it('removes users no active grant owns, sparing grants still committing', async () => {
      const registry = broker.app.get(ProviderRegistry);
      const role = broker.config.policy.roles.find((r) => r.name === 'db-read')!;
      const provider = registry.forRole(role) as MysqlProvider;
      const active = await mint();

      // A broker killed between the provider's grant and its commit: the user exists, no grant row.
      const crashed = Object.assign(new GrantRow(), {
        id: randomUUID(),
        issuedAt: new Date(),
        expiresAt: new Date(Date.now() + 60 * 60 * 1000),
      });
      const leftBehind = (await provider.grant(crashed)).credential as MysqlCredential;
      // MariaDB records when the password was set, which is when the user was made: an hour ago.
      await admin(
        `UPDATE mysql.global_priv SET Priv = JSON_SET(Priv, '$.password_last_changed', ?)
         WHERE User = ? AND Host = '%'`,
        [Math.floor(Date.now() / 1000) - 3600, leftBehind.user],
      );
      await admin('FLUSH PRIVILEGES');
      // One whose mint is still between the provider call and the commit.
      const inFlight = (
        await provider.grant(Object.assign(new GrantRow(), { ...crashed, id: randomUUID() }))
      ).credential as MysqlCredential;
      // Users that only look like ours are never touched.
      const lookalike = `${prefix}not_a_grant`;
      await admin(`CREATE USER ?@'%' ACCOUNT LOCK`, [lookalike]);

      const restarted = await start();
      try {
        await eventually(
          async () => ((await userExists(leftBehind.user)) ? undefined : true),
          5000,
        );
      } finally {
        await restarted.close();
      }
      expect(await userExists(inFlight.user)).toBe(true);
      expect(await userExists(active.credential.user)).toBe(true);
      expect(await userExists(lookalike)).toBe(true);

      const later = new FixedClock(new Date(Date.now() + 11 * 60 * 1000));
      const uow = broker.app.get(UnitOfWork);
      expect(await new ProviderReconciler(uow, registry, later).reconcile()).toMatchObject({
        removed: 1,
        failed: 0,
      });
      expect(await userExists(inFlight.user)).toBe(false);
      expect(await mariadbClient(active.credential, 'SELECT COUNT(*) FROM readable')).toBe('2');
    });

    it('fails as unreachable while the server is down, naming no secret', async () => {
      const provider = broker.app.get(ProviderRegistry).forRole({
        ...broker.config.policy.roles.find((r) => r.name === 'db-read')!,
        provider: {
          type: 'mysql',
          url: 'mysql://countersign:hunter2@127.0.0.1:1/payments',
          grantRole: ROLE,
          userPrefix: prefix,
        },
      });
      const grant = Object.assign(new GrantRow(), {
        id: randomUUID(),
        issuedAt: new Date(),
        expiresAt: new Date(Date.now() + 60_000),
      });
      await expect(provider.grant(grant, undefined as never)).rejects.toThrow(
        'mysql 127.0.0.1:1 unreachable (ECONNREFUSED)',
      );
      await expect(provider.revoke(grant)).rejects.toThrow('mysql 127.0.0.1:1 unreachable');
    });

    it('audits a failed grant without the statement or the password', async () => {
      // The role granted does not exist: the GRANT fails after the user was made with a password.
      const provider = broker.app.get(ProviderRegistry).forRole({
        ...broker.config.policy.roles.find((r) => r.name === 'db-read')!,
        provider: {
          type: 'mysql',
          url: `mysql://root@127.0.0.1:3306/${DATABASE}`,
          grantRole: `${ROLE}_missing`,
          userPrefix: prefix,
        },
      });
      const grant = Object.assign(new GrantRow(), {
        id: randomUUID(),
        issuedAt: new Date(),
        expiresAt: new Date(Date.now() + 60_000),
      });
      const failure = await provider
        .grant(grant, undefined as never)
        .catch((error: Error) => error);
      expect((failure as Error).message).toBe('mysql 127.0.0.1:3306: grant failed (error 1959)');
      await provider.revoke(grant);
      expect(await userExists(mysqlUser(prefix, grant.id))).toBe(false);
    });

    it('keeps a grant overdue while the server is unreachable at expiry, and ends it once it is back', async () => {
      const minted = await mint('2s', 'db-relayed');
      // Straight to the server, not through the relay: this session outlives the outage.
      const session = await loginWith({ ...minted.credential, port: 3306 });
      await relay.stop();
      try {
        const failed = await eventually(async () => {
          const events = await auditTrail(broker, { type: 'grant.revocation_failed' });
          const mine = events.filter((e) => e.grantId === minted.grantId);
          return mine.length > 0 ? mine : undefined;
        }, 8000);
        expect(failed[0].data).toMatchObject({
          failures: 1,
          error: `mysql 127.0.0.1:${relay.port} unreachable (ECONNREFUSED)`,
        });
        expect(JSON.stringify(failed)).not.toContain(minted.credential.password);
        const dave = await as(broker, 'dave');
        const grant = (await dave.get(`/v1/grants/${minted.grantId}`).expect(200)).body;
        expect(grant).toMatchObject({ status: 'active', overdue: true });
        expect(await sessionEnded(session)).toBe(false);
      } finally {
        await relay.start();
      }
      const dave = await as(broker, 'dave');
      const ended = await eventually(async () => {
        const grant = (await dave.get(`/v1/grants/${minted.grantId}`).expect(200)).body as {
          status: string;
        };
        return grant.status === 'active' ? undefined : grant;
      }, 10_000);
      expect(ended.status).toBe('expired');
      expect(await sessionEnded(session)).toBe(true);
      expect(await userExists(minted.credential.user)).toBe(false);
    });
  },
);
