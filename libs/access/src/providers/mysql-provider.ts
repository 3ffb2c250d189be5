import { randomBytes } from 'node:crypto';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { createPool, escapeId } from 'mysql2/promise';
import type { ProviderDefinition } from '#domain';
import type { GrantRow } from '#persistence';
import type {
  CredentialProvider,
  ExtendedAccess,
  IssuedCredential,
  LiveAccess,
} from './credential-provider.js';
import { ProviderError } from './credential-provider.js';
import { FailFast } from './fail-fast.js';
import { mysqlGrantIdOf, mysqlUserName } from './mysql-user-name.js';
import { nativePasswordHash } from './native-password-hash.js';

export type MysqlSettings = Extract<ProviderDefinition, { type: 'mysql' }>;

/** MySQL's and MariaDB's "Unknown thread id": the session ended before KILL reached it. */
const NO_SUCH_THREAD = 1094;

/**
 * One MySQL/MariaDB user per grant (docs/providers.md#mysql-and-mariadb): a random password and
 * the target role, granted and made its default role. Revocation locks the account, ends its
 * sessions and drops it. Users are `'<name>'@'%'`; names and passwords go through mysql2's
 * escaping, the role through `escapeId`; the name is derived from the grant id, never user input.
 */
export class MysqlProvider implements CredentialProvider {
  readonly type = 'mysql';
  private readonly pool: Pool;
  /** Where the broker connects, for error messages (never the URL: it holds a password). */
  private readonly target: string;
  private readonly host: string;
  private readonly port: number;
  private readonly database: string;
  private readonly unreachable = new FailFast();
  /** MariaDB keeps accounts in mysql.global_priv, MySQL in mysql.user: asked once. */
  private mariadb?: Promise<boolean>;

  constructor(private readonly settings: MysqlSettings) {
    const url = new URL(settings.url);
    this.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = url.port === '' ? 3306 : Number(url.port);
    this.database = url.pathname.slice(1);
    this.target = `${url.hostname}:${this.port}`;
    this.pool = createPool({
      uri: settings.url,
      connectionLimit: 4,
      maxIdle: 4,
      idleTimeout: 10_000,
      connectTimeout: 5000,
      // One statement per call, always: nothing a value holds can start another.
      multipleStatements: false,
    });
    // An idle connection dropped by the server must not take the process down.
    this.pool.on('connection', (connection) => connection.on('error', () => undefined));
  }

  async grant(grant: GrantRow): Promise<IssuedCredential> {
    const user = mysqlUserName(this.settings.userPrefix, grant.id);
    const password = randomBytes(24).toString('base64url');
    const role = escapeId(this.settings.grantRole);
    await this.withConnection('grant', async (connection) => {
      // MariaDB logs statements as written, so it is sent only the password's hash; MySQL masks
      // passwords in its logs itself, and its default plugin (caching_sha2) needs the password.
      const identified = (await this.isMariadb(connection))
        ? ['IDENTIFIED BY PASSWORD ?', nativePasswordHash(password)]
        : ['IDENTIFIED BY ?', password];
      // The grant id is the idempotency key: granting it again resets the same user's password.
      await connection.query(`CREATE USER IF NOT EXISTS ?@'%' ${identified[0]}`, [
        user,
        identified[1],
      ]);
      await connection.query(`ALTER USER ?@'%' ${identified[0]}`, [user, identified[1]]);
      await connection.query(`GRANT ${role} TO ?@'%'`, [user]);
      await connection.query(`SET DEFAULT ROLE ${role} FOR ?@'%'`, [user]);
    });
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    const url =
      `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${this.port}` +
      (this.database === '' ? '' : `/${this.database}`);
    return {
      credential: { type: 'mysql', host: this.host, port: this.port, user, password, url },
    };
  }

  /** The user has no end of its own: an extension only checks that it is still there. */
  async extend(grant: GrantRow): Promise<ExtendedAccess> {
    const user = mysqlUserName(this.settings.userPrefix, grant.id);
    this.unreachable.check();
    const found = await this.withConnection('extend', async (connection) => {
      const [rows] = await connection.query<RowDataPacket[]>(
        'SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?',
        [user, '%'],
      );
      return rows.length > 0;
    });
    if (!found) throw new ProviderError(`mysql ${this.target}: extend found no user`);
    return {};
  }

  async revoke(grant: GrantRow): Promise<void> {
    await this.dropUser(mysqlUserName(this.settings.userPrefix, grant.id));
  }

  /**
   * Users of this provider's naming scheme, whoever's grant they were made for, with when their
   * password was set (at creation: reconciliation's grace).
   */
  async listLive(): Promise<LiveAccess[]> {
    const prefix = this.settings.userPrefix;
    const rows = await this.withConnection('list users', async (connection) => {
      const sql = (await this.isMariadb(connection))
        ? `SELECT User AS user, JSON_VALUE(Priv, '$.password_last_changed') AS changed
             FROM mysql.global_priv WHERE Host = '%' AND LEFT(User, ?) = ?`
        : `SELECT User AS user, UNIX_TIMESTAMP(password_last_changed) AS changed
             FROM mysql.user WHERE Host = '%' AND LEFT(User, ?) = ?`;
      const [found] = await connection.query<RowDataPacket[]>(sql, [prefix.length, prefix]);
      return found as { user: string; changed: string | number | null }[];
    });
    return rows.flatMap(({ user, changed }) => {
      const grantId = mysqlGrantIdOf(prefix, user);
      if (grantId === undefined) return [];
      const seconds = Number(changed);
      const createdAt = changed !== null && seconds > 0 ? new Date(seconds * 1000) : undefined;
      return [{ grantId, createdAt, remove: () => this.dropUser(user) }];
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * No new logins, no sessions, then no user; each step idempotent, so a retry after any failure
   * finishes the job. (`DROP USER` alone leaves open sessions running.)
   */
  private async dropUser(user: string): Promise<void> {
    this.unreachable.check();
    await this.withConnection('revoke', async (connection) => {
      await connection.query(`ALTER USER IF EXISTS ?@'%' ACCOUNT LOCK`, [user]);
      const [sessions] = await connection.query<RowDataPacket[]>(
        'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?',
        [user],
      );
      for (const { id } of sessions as { id: number }[]) {
        try {
          await connection.query('KILL CONNECTION ?', [id]);
        } catch (error) {
          if ((error as { errno?: number }).errno !== NO_SUCH_THREAD) throw error;
        }
      }
      await connection.query(`DROP USER IF EXISTS ?@'%'`, [user]);
    });
  }

  private isMariadb(connection: PoolConnection): Promise<boolean> {
    this.mariadb ??= connection
      .query<RowDataPacket[]>('SELECT VERSION() AS version')
      .then(([rows]) => /mariadb/i.test(String(rows[0]?.version)))
      .catch((error: unknown) => {
        this.mariadb = undefined;
        throw error;
      });
    return this.mariadb;
  }

  /**
   * Runs `work` on a pooled connection. Any failure becomes a ProviderError naming the step, the
   * target and the error code only: mysql2's errors carry the statement, password included.
   */
  private async withConnection<T>(step: string, work: (c: PoolConnection) => Promise<T>) {
    let connection: PoolConnection;
    try {
      connection = await this.pool.getConnection();
    } catch (error) {
      const failure = `mysql ${this.target} unreachable (${codeOf(error)})`;
      this.unreachable.trip(failure);
      throw new ProviderError(failure);
    }
    try {
      const result = await work(connection);
      connection.release();
      return result;
    } catch (error) {
      // Discarded rather than returned to the pool: it may be broken.
      connection.destroy();
      throw new ProviderError(`mysql ${this.target}: ${step} failed (${codeOf(error)})`);
    }
  }
}

/** mysql2's name of the error (`ER_ACCESS_DENIED_ERROR`, `ECONNREFUSED`), else its number. */
function codeOf(error: unknown): string {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  // Errors MariaDB alone has (1959, an unknown role) have no name in mysql2.
  if (typeof errno === 'number' && Number.isInteger(errno)) return `error ${errno}`;
  return error instanceof Error && /timeout/i.test(error.message) ? 'timeout' : 'error';
}
