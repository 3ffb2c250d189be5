import { jest } from '@jest/globals';
import { execFile, spawnSync } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import type { PostgresProvider } from '#access';
import { ProviderReconciler, ProviderRegistry, scramVerifierWith } from '#access';
import { FixedClock } from '#domain';
import { GrantRow, UnitOfWork } from '#persistence';
import { auditTrail } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { freshDatabase } from '../support/databases.js';
import { as, createRequest, eventually } from '../support/flow.js';
import { TcpRelay } from '../support/tcp-relay.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(30_000);

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

// Login roles are cluster-wide: this file's are named with a prefix of its own, and only roles
// with that prefix (and its own target role) are ever dropped here.
const suffix = randomBytes(4).toString('hex');
const PREFIX = `cst${suffix}_`;
const TARGET_ROLE = `cst${suffix}_reader`;

interface PostgresCredential {
  type: 'postgres';
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
  url: string;
}

interface Minted {
  grantId: string;
  requestId: string;
  expiresAt: string;
  credential: PostgresCredential;
}

async function admin<T extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  params: unknown[] = [],
  url = ADMIN_URL,
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function roleExists(name: string): Promise<boolean> {
  return (await admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).length === 1;
}

/**
 * Whether `password` is the one PostgreSQL stores for the role: the test cluster trusts local
 * connections and never asks for it, so the SCRAM-SHA-256 verifier is checked instead (RFC 5802).
 */
async function passwordMatches(username: string, password: string): Promise<boolean> {
  const [row] = await admin<{ rolpassword: string }>(
    'SELECT rolpassword FROM pg_authid WHERE rolname = $1',
    [username],
  );
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(row.rolpassword);
  if (!match) return false;
  const [, iterations, salt, storedKey] = match;
  const salted = pbkdf2Sync(
    password,
    Buffer.from(salt, 'base64'),
    Number(iterations),
    32,
    'sha256',
  );
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return createHash('sha256').update(clientKey).digest('base64') === storedKey;
}

/** A connected client of the credential; errors after termination are collected, not thrown. */
async function loginWith(credential: PostgresCredential) {
  const client = new pg.Client({ connectionString: credential.url });
  const errors: Error[] = [];
  client.on('error', (error) => errors.push(error));
  await client.connect();
  return { client, errors };
}

/** Whether a fresh login with the credential is refused (and by authentication). */
async function loginRefused(credential: PostgresCredential): Promise<boolean> {
  const client = new pg.Client({ connectionString: credential.url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return false;
  } catch (error) {
    // Class 28, invalid authorization: no such role (this cluster trusts local connections,
    // so a password is not asked for) or a wrong password where it is.
    expect((error as { code?: string }).code).toMatch(/^28/);
    return true;
  }
}

/** Whether an open session has been ended by the server. */
async function sessionEnded(client: pg.Client): Promise<boolean> {
  try {
    await client.query('SELECT 1');
    return false;
  } catch {
    return true;
  }
}

describe('the postgres provider, through the broker on PostgreSQL', () => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let broker: TestBroker;
  /** Another broker on the same database and config (a restart). */
  let start: () => Promise<TestBroker>;
  // The local PostgreSQL through a relay the test can take down and bring back.
  const relay = new TcpRelay(5432);

  const roleYaml = (name: string, connection: string) => `
    - name: ${name}
      resource: postgres://test/${name}
      actions: [db:read]
      maxDuration: 1h
      defaultDuration: 10m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      provider:
        type: postgres
        connection: "${connection}"
        targetRole: ${TARGET_ROLE}
        rolePrefix: ${PREFIX}
`;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    database = await freshDatabase('postgres');
    await relay.start();
    await admin(`CREATE ROLE ${TARGET_ROLE} NOLOGIN`);
    const targetSetup = [
      'CREATE TABLE readable (id int PRIMARY KEY, label text)',
      "INSERT INTO readable VALUES (1, 'one'), (2, 'two')",
      'CREATE TABLE hidden (id int)',
      `GRANT SELECT ON readable TO ${TARGET_ROLE}`,
    ];
    for (const sql of targetSetup) await admin(sql, [], database.url);
    const relayed = database.url.replace(':5432/', `:${relay.port}/`);
    const yaml = testConfigYaml(
      issuer,
      roleYaml('pg-read', '${TARGET_URL}') + roleYaml('pg-relayed', '${RELAYED_URL}'),
    );
    start = () =>
      startBroker({
        kind: 'postgres',
        issuer,
        database,
        yaml,
        env: { TARGET_URL: database.url, RELAYED_URL: relayed },
      });
    broker = await start();
  });

  afterAll(async () => {
    await broker.close();
    await relay.stop();
    await database.drop();
    const ours = await admin<{ rolname: string }>(
      'SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)',
      [`cst${suffix}_`],
    );
    for (const { rolname } of ours)
      await admin(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(rolname)}`);
    await issuer.close();
  });

  async function mint(role: string, duration = '10m', recipient = 'alice'): Promise<Minted> {
    const request = await createRequest(broker, recipient, { role, duration });
    await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
    const response = await (
      await as(broker, recipient)
    )
      .post(`/v1/requests/${request.id}/credentials`)
      .expect(201);
    return { ...(response.body as Omit<Minted, 'requestId'>), requestId: request.id };
  }

  async function grantStatus(grantId: string) {
    const dave = await as(broker, 'dave');
    return (await dave.get(`/v1/grants/${grantId}`).expect(200)).body as {
      status: string;
      revocationFailures?: number;
    };
  }

  it('mints a login role that logs in and holds exactly the target role privileges', async () => {
    const minted = await mint('pg-read');
    const { credential } = minted;
    expect(credential).toEqual({
      type: 'postgres',
      host: '127.0.0.1',
      port: 5432,
      database: new URL(database.url).pathname.slice(1),
      username: PREFIX + minted.grantId.replaceAll('-', ''),
      password: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      url: `postgres://${credential.username}:${credential.password}@127.0.0.1:5432/${credential.database}`,
    });

    const { client } = await loginWith(credential);
    try {
      expect((await client.query('SELECT current_user AS me')).rows).toEqual([
        { me: credential.username },
      ]);
      const rows = await client.query('SELECT id, label FROM readable ORDER BY id');
      expect(rows.rows).toEqual([
        { id: 1, label: 'one' },
        { id: 2, label: 'two' },
      ]);
      await expect(client.query('SELECT * FROM hidden')).rejects.toMatchObject({ code: '42501' });
      await expect(client.query("INSERT INTO readable VALUES (3, 'x')")).rejects.toMatchObject({
        code: '42501',
      });
    } finally {
      await client.end();
    }

    const [role] = await admin<{ rolvaliduntil: Date; rolcanlogin: boolean }>(
      'SELECT rolvaliduntil, rolcanlogin FROM pg_roles WHERE rolname = $1',
      [credential.username],
    );
    expect(role.rolcanlogin).toBe(true);
    expect(await passwordMatches(credential.username, credential.password)).toBe(true);
    expect(await passwordMatches(credential.username, `${credential.password}x`)).toBe(false);
    expect(role.rolvaliduntil.getTime()).toBe(new Date(minted.expiresAt).getTime());

    // The password is handed out once: never in the audit log.
    const events = await auditTrail(broker, { requestId: minted.requestId });
    expect(events.map((e) => e.type)).toContain('credential.issued');
    expect(JSON.stringify(events)).not.toContain(credential.password);
    expect(events.find((e) => e.type === 'credential.issued')?.data).toMatchObject({
      provider: 'postgres',
    });
  });

  it('stores a SCRAM verifier equal to the one PostgreSQL computes for the same password', async () => {
    const name = `${PREFIX}scram_check`;
    const password = 'Zx9_-correct-horse';
    await admin(`CREATE ROLE ${name} PASSWORD ${pg.escapeLiteral(password)}`);
    const [row] = await admin<{ rolpassword: string }>(
      'SELECT rolpassword FROM pg_authid WHERE rolname = $1',
      [name],
    );
    const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(row.rolpassword)!;
    expect(scramVerifierWith(password, Buffer.from(salt, 'base64'), Number(iterations))).toBe(
      row.rolpassword,
    );
  });

  const psql = spawnSync('psql', ['--version']).status === 0;
  (psql ? it : it.skip)('logs in with the psql binary too', async () => {
    const { credential } = await mint('pg-read');
    const { stdout } = await promisify(execFile)('psql', [
      credential.url,
      '-XtAc',
      'SELECT current_user, count(*) FROM readable',
    ]);
    expect(stdout.trim()).toBe(`${credential.username}|2`);
  });

  it('terminates an open session and refuses logins once the grant is revoked', async () => {
    const minted = await mint('pg-read');
    const session = await loginWith(minted.credential);
    expect((await session.client.query('SELECT count(*)::int AS n FROM readable')).rows).toEqual([
      { n: 2 },
    ]);

    await (
      await as(broker, 'alice')
    )
      .post(`/v1/grants/${minted.grantId}/revoke`, { reason: 'done' })
      .expect(200);

    expect(await sessionEnded(session.client)).toBe(true);
    expect(await roleExists(minted.credential.username)).toBe(false);
    expect(await loginRefused(minted.credential)).toBe(true);
    // Idempotent: revoking again answers the ended grant.
    await (
      await as(broker, 'alice')
    )
      .post(`/v1/grants/${minted.grantId}/revoke`, { reason: 'again' })
      .expect(200);
  });

  it('terminates an open session and refuses logins at expiry', async () => {
    const minted = await mint('pg-read', '3s');
    const session = await loginWith(minted.credential);
    expect(await sessionEnded(session.client)).toBe(false);

    await eventually(async () => {
      const grant = await grantStatus(minted.grantId);
      return grant.status === 'expired' ? grant : undefined;
    }, 8000);
    expect(await sessionEnded(session.client)).toBe(true);
    expect(await roleExists(minted.credential.username)).toBe(false);
    expect(await loginRefused(minted.credential)).toBe(true);
  });

  it('keeps access through overlapping grants until the last one ends', async () => {
    const first = await mint('pg-read');
    const second = await mint('pg-read');
    expect(first.credential.username).not.toBe(second.credential.username);
    const one = await loginWith(first.credential);
    const two = await loginWith(second.credential);

    await (
      await as(broker, 'alice')
    )
      .post(`/v1/grants/${first.grantId}/revoke`, { reason: 'first done' })
      .expect(200);
    expect(await sessionEnded(one.client)).toBe(true);
    expect(await sessionEnded(two.client)).toBe(false);
    expect((await two.client.query('SELECT count(*)::int AS n FROM readable')).rows).toEqual([
      { n: 2 },
    ]);
    const again = await loginWith(second.credential);
    await again.client.end();

    await (
      await as(broker, 'alice')
    )
      .post(`/v1/grants/${second.grantId}/revoke`, { reason: 'second done' })
      .expect(200);
    expect(await sessionEnded(two.client)).toBe(true);
    expect(await loginRefused(second.credential)).toBe(true);
  });

  it('grants idempotently: the same grant id again resets the one login role it names', async () => {
    const role = broker.config.policy.roles.find((r) => r.name === 'pg-read')!;
    const provider = broker.app.get(ProviderRegistry).forRole(role) as PostgresProvider;
    const grant = Object.assign(new GrantRow(), {
      id: randomUUID(),
      issuedAt: new Date(),
      expiresAt: new Date(Date.now() + 60_000),
    });
    const first = (await provider.grant(grant)).credential as PostgresCredential;
    const second = (await provider.grant(grant)).credential as PostgresCredential;
    expect(second.username).toBe(first.username);
    const roles = await admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [first.username]);
    expect(roles).toHaveLength(1);
    expect(await passwordMatches(second.username, second.password)).toBe(true);
    expect(await passwordMatches(first.username, first.password)).toBe(false);
    await provider.revoke(grant);
    await provider.revoke(grant);
    expect(await roleExists(first.username)).toBe(false);
  });

  it('removes login roles no active grant owns, sparing grants still committing', async () => {
    const registry = broker.app.get(ProviderRegistry);
    const role = broker.config.policy.roles.find((r) => r.name === 'pg-read')!;
    const provider = registry.forRole(role) as PostgresProvider;
    const active = await mint('pg-read');

    // A broker killed between the provider's create and its commit: the role exists, no grant row.
    const crashed = Object.assign(new GrantRow(), {
      id: randomUUID(),
      requestId: randomUUID(),
      role: 'pg-read',
      resource: 'postgres://test/pg-read',
      recipient: 'corp:alice',
      actions: ['db:read'],
      approvers: ['corp:bob'],
      issuedAt: new Date(Date.now() - 60 * 60 * 1000),
      expiresAt: new Date(Date.now() + 60 * 60 * 1000),
    });
    const leftBehind = (await provider.grant(crashed)).credential as PostgresCredential;
    // One whose mint is still between the provider call and the commit.
    const inFlight = (
      await provider.grant(
        Object.assign(new GrantRow(), { ...crashed, id: randomUUID(), issuedAt: new Date() }),
      )
    ).credential as PostgresCredential;
    // Roles that only look like ours are never touched.
    const lookalike = `${PREFIX}not_a_grant`;
    await admin(`CREATE ROLE ${lookalike} NOLOGIN`);

    // The broker that comes back reconciles at start-up (in the background: a target that is
    // down must not hold up readiness).
    const restarted = await start();
    try {
      await eventually(
        async () => ((await roleExists(leftBehind.username)) ? undefined : true),
        5000,
      );
    } finally {
      await restarted.close();
    }
    expect(await roleExists(inFlight.username)).toBe(true);
    expect(await roleExists(active.credential.username)).toBe(true);
    expect(await roleExists(lookalike)).toBe(true);

    expect(await broker.app.get(ProviderReconciler).reconcile()).toEqual({
      removed: 0,
      failed: 0,
      failures: [],
    });
    expect(await roleExists(inFlight.username)).toBe(true);

    // Past the grace, the one that never committed goes too; the active grant's role stays.
    const later = new FixedClock(new Date(Date.now() + 11 * 60 * 1000));
    const uow = broker.app.get(UnitOfWork);
    expect(await new ProviderReconciler(uow, registry, later).reconcile()).toMatchObject({
      removed: 1,
      failed: 0,
    });
    expect(await roleExists(inFlight.username)).toBe(false);
    expect(await roleExists(active.credential.username)).toBe(true);
    const session = await loginWith(active.credential);
    await session.client.end();
  });

  it('refuses 503 while the target is unreachable, keeps the request approved, and grants on retry', async () => {
    const request = await createRequest(broker, 'alice', { role: 'pg-relayed', duration: '10m' });
    await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
    const alice = await as(broker, 'alice');

    await relay.stop();
    const refused = await alice.post(`/v1/requests/${request.id}/credentials`).expect(503);
    expect(refused.body).toEqual({
      error: 'unavailable',
      message: expect.any(String),
      reason: 'provider_unavailable',
    });
    expect((await alice.get(`/v1/requests/${request.id}`).expect(200)).body.status).toBe(
      'approved',
    );
    const events = await auditTrail(broker, { requestId: request.id, type: 'credential.refused' });
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({
      reason: 'provider_unavailable',
      code: 'unavailable',
      provider: 'postgres',
      error: `postgres 127.0.0.1:${relay.port} unreachable (ECONNREFUSED)`,
    });

    await relay.start();
    const granted = await alice.post(`/v1/requests/${request.id}/credentials`).expect(201);
    const credential = (granted.body as Minted).credential;
    expect(credential.port).toBe(relay.port);
    const session = await loginWith(credential);
    expect((await session.client.query('SELECT count(*)::int AS n FROM readable')).rows).toEqual([
      { n: 2 },
    ]);
    await session.client.end();
  });
});
