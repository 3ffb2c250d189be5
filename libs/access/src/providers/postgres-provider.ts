import { randomBytes } from 'node:crypto';
import pg from 'pg';
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
import { grantIdOf, loginRoleName } from './login-role-name.js';
import { scramVerifier } from './scram-verifier.js';

export type PostgresSettings = Extract<ProviderDefinition, { type: 'postgres' }>;

const { escapeIdentifier, escapeLiteral } = pg;

/** SQLSTATEs this provider expects and handles. */
const UNDEFINED_OBJECT = '42704';
const DEPENDENT_OBJECTS = '2BP01';

/** Marks a login role as countersign's, with its creation time (for reconciliation's grace). */
interface RoleNote {
  countersign: 'grant';
  grantId: string;
  createdAt: number;
}

/**
 * One PostgreSQL login role per grant (docs/providers.md): a random password, `VALID UNTIL` the
 * expiry, membership of the target role. Revocation closes it for good: no login, no membership,
 * no session, no role. Statements are built with pg's escaping only; no input is concatenated raw.
 */
export class PostgresProvider implements CredentialProvider {
  readonly type = 'postgres';
  private readonly pool: pg.Pool;
  /** Where the admin connection goes, for error messages (never the URL: it holds a password). */
  private readonly target: string;
  private readonly unreachable = new FailFast();

  constructor(private readonly settings: PostgresSettings) {
    const url = new URL(settings.connection);
    this.target = `${url.hostname}:${url.port || '5432'}`;
    this.pool = new pg.Pool({
      connectionString: settings.connection,
      max: 4,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 10_000,
      statement_timeout: 10_000,
      query_timeout: 15_000,
      application_name: 'countersign',
    });
    // An idle connection dropped by the server must not take the process down; the next use
    // reconnects or fails with an error that the caller handles.
    this.pool.on('error', () => undefined);
  }

  async grant(grant: GrantRow): Promise<IssuedCredential> {
    const username = loginRoleName(this.settings.rolePrefix, grant.id);
    const password = randomBytes(24).toString('base64url');
    const role = escapeIdentifier(username);
    const note: RoleNote = {
      countersign: 'grant',
      grantId: grant.id,
      createdAt: grant.issuedAt.getTime(),
    };
    await this.withClient('grant', async (client) => {
      await client.query('BEGIN');
      // The grant id is the idempotency key: granting it again resets the same role.
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
      const verb = exists.rowCount === 0 ? 'CREATE' : 'ALTER';
      await client.query(
        `${verb} ROLE ${role} WITH LOGIN INHERIT PASSWORD ${escapeLiteral(scramVerifier(password))}
           VALID UNTIL ${escapeLiteral(grant.expiresAt.toISOString())}`,
      );
      await client.query(`COMMENT ON ROLE ${role} IS ${escapeLiteral(JSON.stringify(note))}`);
      await client.query(`GRANT ${escapeIdentifier(this.settings.targetRole)} TO ${role}`);
      await client.query('COMMIT');
    });
    const { host, port, database } = this.settings;
    const url =
      `postgres://${encodeURIComponent(username)}:${encodeURIComponent(password)}` +
      `@${host.includes(':') ? `[${host}]` : host}:${port}/${encodeURIComponent(database)}`;
    return {
      credential: { type: 'postgres', host, port, database, username, password, url },
    };
  }

  /**
   * Moves the login role's `VALID UNTIL` to the grant's new end; the password and membership stay.
   * Only a role that exists: one revocation dropped is never re-created by an extension.
   */
  async extend(grant: GrantRow): Promise<ExtendedAccess> {
    const username = loginRoleName(this.settings.rolePrefix, grant.id);
    this.unreachable.check();
    const altered = await this.withClient('extend', async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
      if (exists.rowCount === 0) return false;
      await client.query(
        `ALTER ROLE ${escapeIdentifier(username)}
           VALID UNTIL ${escapeLiteral(grant.expiresAt.toISOString())}`,
      );
      return true;
    });
    if (!altered) throw new ProviderError(`postgres ${this.target}: extend found no login role`);
    return {};
  }

  async revoke(grant: GrantRow): Promise<void> {
    await this.dropLoginRole(loginRoleName(this.settings.rolePrefix, grant.id));
  }

  /** Login roles of this provider's naming scheme, whoever's grant they were made for. */
  async listLive(): Promise<LiveAccess[]> {
    const { rows } = await this.withClient('list login roles', (client) =>
      client.query<{ rolname: string; note: string | null }>(
        `SELECT rolname, shobj_description(oid, 'pg_authid') AS note
           FROM pg_roles WHERE starts_with(rolname, $1)`,
        [this.settings.rolePrefix],
      ),
    );
    return rows.flatMap(({ rolname, note }) => {
      const grantId = grantIdOf(this.settings.rolePrefix, rolname);
      if (grantId === undefined) return [];
      const createdAt = createdAtOf(note, grantId);
      return [{ grantId, createdAt, remove: () => this.dropLoginRole(rolname) }];
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * No new logins, no privileges, no sessions, then no role; each step idempotent, so a retry
   * after any failure finishes the job. Objects the role came to own are handed to the target role.
   */
  private async dropLoginRole(username: string): Promise<void> {
    this.unreachable.check();
    const role = escapeIdentifier(username);
    await this.withClient('revoke', async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
      if (exists.rowCount === 0) return;
      await ignoring(UNDEFINED_OBJECT, () => client.query(`ALTER ROLE ${role} WITH NOLOGIN`));
      await ignoring(UNDEFINED_OBJECT, () =>
        client.query(`REVOKE ${escapeIdentifier(this.settings.targetRole)} FROM ${role}`),
      );
      // Waits up to 5 s for each session to be gone, so none outlives the answer.
      await client.query(
        'SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1',
        [username],
      );
      try {
        await client.query(`DROP ROLE IF EXISTS ${role}`);
      } catch (error) {
        if (sqlState(error) !== DEPENDENT_OBJECTS) throw error;
        await client.query(
          `REASSIGN OWNED BY ${role} TO ${escapeIdentifier(this.settings.targetRole)}`,
        );
        await client.query(`DROP OWNED BY ${role}`);
        await client.query(`DROP ROLE IF EXISTS ${role}`);
      }
    });
  }

  /**
   * Runs `work` on a pooled connection. Any failure becomes a ProviderError naming the step, the
   * target's host and the error code only: a server message may quote SQL holding the password.
   */
  private async withClient<T>(step: string, work: (client: pg.PoolClient) => Promise<T>) {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      const failure = `postgres ${this.target} unreachable (${codeOf(error)})`;
      this.unreachable.trip(failure);
      throw new ProviderError(failure);
    }
    try {
      const result = await work(client);
      client.release();
      return result;
    } catch (error) {
      // Discarded rather than returned to the pool: it may be mid-transaction or broken.
      client.release(true);
      throw new ProviderError(`postgres ${this.target}: ${step} failed (${codeOf(error)})`);
    }
  }
}

async function ignoring(state: string, statement: () => Promise<unknown>): Promise<void> {
  try {
    await statement();
  } catch (error) {
    if (sqlState(error) !== state) throw error;
  }
}

function sqlState(error: unknown): string | undefined {
  return error instanceof pg.DatabaseError ? error.code : undefined;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{1,32}$/.test(code)) return code;
  return error instanceof Error && /timeout/i.test(error.message) ? 'timeout' : 'error';
}

function createdAtOf(note: string | null, grantId: string): Date | undefined {
  if (note === null) return undefined;
  try {
    const parsed = JSON.parse(note) as Partial<RoleNote>;
    if (parsed.grantId !== grantId || typeof parsed.createdAt !== 'number') return undefined;
    return new Date(parsed.createdAt);
  } catch {
    return undefined;
  }
}
