import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { ProviderReconciler, ProviderRegistry } from '#access';
import { FixedClock } from '#domain';
import { GrantRow, UnitOfWork } from '#persistence';
import type { RedisProvider } from '../../libs/access/src/providers/redis-provider.js';
import { auditTrail } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import type { DatabaseKind, FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, TEST_REDIS_URL, freshDatabase } from '../support/databases.js';
import { as, createRequest, eventually } from '../support/flow.js';
import { TcpRelay } from '../support/tcp-relay.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(30_000);

// ACL users and keys are server-wide: this file's are named with a prefix of its own, and only
// users and keys with it are ever deleted here.
const suffix = randomBytes(4).toString('hex');
const KEYS = `cst${suffix}`;

interface RedisCredential {
  type: 'redis';
  url: string;
  user: string;
  password: string;
}

interface Minted {
  grantId: string;
  requestId: string;
  expiresAt: string;
  credential: RedisCredential;
}

/** A connection as the credential's user that never reconnects: its end is observable. */
async function loginWith(credential: RedisCredential): Promise<Redis> {
  const url = new URL(credential.url);
  const client = new Redis({
    host: url.hostname,
    port: Number(url.port),
    username: decodeURIComponent(url.username),
    password: credential.password,
    lazyConnect: true,
    // The ready check runs INFO, which the rules do not allow.
    enableReadyCheck: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** The error a fresh AUTH as the credential's user gets, or undefined if it succeeds. */
async function authError(credential: RedisCredential): Promise<string | undefined> {
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.call('AUTH', credential.user, credential.password);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    client.disconnect();
  }
}

describe.each<DatabaseKind>(DATABASE_KINDS)(
  'the redis provider, through the broker on %s',
  (kind) => {
    const prefix = `cst${suffix}${kind[0]}_`;
    let issuer: TestIssuer;
    let database: FreshDatabase;
    let broker: TestBroker;
    /** Another broker on the same database and config (a restart). */
    let start: () => Promise<TestBroker>;
    let admin: Redis;
    /** The broker's way to Redis for the role `cache-relayed`: taken down to make Redis unreachable. */
    const relay = new TcpRelay(6379);

    beforeAll(async () => {
      issuer = await TestIssuer.start();
      database = await freshDatabase(kind);
      admin = new Redis(TEST_REDIS_URL);
      await admin.set(`${KEYS}:greeting`, 'hello');
      await admin.set(`other${suffix}:secret`, 'hidden');
      await relay.start();
      const role = (name: string, url: string) => `
    - name: ${name}
      resource: redis://cache/${name}
      actions: [cache:read]
      maxDuration: 1h
      defaultDuration: 10m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      provider:
        type: redis
        url: ${url}
        rules: "~${KEYS}:* +@read +ping"
        userPrefix: ${prefix}
`;
      const yaml = testConfigYaml(
        issuer,
        role('cache-read', '${CACHE_ADMIN_URL}') + role('cache-relayed', '${RELAYED_URL}'),
      );
      const env = {
        CACHE_ADMIN_URL: TEST_REDIS_URL,
        RELAYED_URL: `redis://127.0.0.1:${relay.port}`,
      };
      start = () => startBroker({ kind, issuer, database, yaml, env });
      broker = await start();
    });

    afterAll(async () => {
      await broker.close();
      await relay.stop();
      await database.drop();
      const users = (await admin.call('ACL', 'USERS')) as string[];
      for (const user of users.filter((name) => name.startsWith(prefix)))
        await admin.call('ACL', 'DELUSER', user);
      await admin.del(`${KEYS}:greeting`, `other${suffix}:secret`);
      admin.disconnect();
      await issuer.close();
    });

    async function mint(duration = '10m', role = 'cache-read'): Promise<Minted> {
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

    const userExists = async (user: string) => (await admin.call('ACL', 'GETUSER', user)) !== null;

    it('mints an ACL user that can run what the rules allow and nothing else', async () => {
      const minted = await mint();
      const { credential } = minted;
      expect(credential).toEqual({
        type: 'redis',
        url: `redis://${credential.user}@127.0.0.1:6379`,
        user: expect.stringMatching(
          new RegExp(`^${prefix}${minted.grantId.replaceAll('-', '')}_[0-9a-z]+$`),
        ),
        password: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      });
      expect(credential.url).not.toContain(credential.password);

      const client = await loginWith(credential);
      try {
        expect(await client.call('ACL', 'WHOAMI').catch((e: Error) => e.message)).toMatch(
          /^NOPERM/,
        );
        expect(await client.get(`${KEYS}:greeting`)).toBe('hello');
        expect(await client.ping()).toBe('PONG');
        await expect(client.set(`${KEYS}:greeting`, 'changed')).rejects.toThrow(/^NOPERM/);
        await expect(client.get(`other${suffix}:secret`)).rejects.toThrow(/^NOPERM/);
        await expect(client.call('FLUSHALL')).rejects.toThrow(/^NOPERM/);
        await expect(client.call('CONFIG', 'GET', 'requirepass')).rejects.toThrow(/^NOPERM/);
      } finally {
        client.disconnect();
      }
      expect(await admin.get(`${KEYS}:greeting`)).toBe('hello');

      // Redis holds only the password's SHA-256.
      const rules = (await admin.call('ACL', 'LIST')) as string[];
      expect(rules.join('\n')).not.toContain(credential.password);

      // The password is handed out once: never in the audit log.
      const events = await auditTrail(broker, { requestId: minted.requestId });
      expect(events.find((e) => e.type === 'credential.issued')?.data).toMatchObject({
        provider: 'redis',
      });
      expect(JSON.stringify(events)).not.toContain(credential.password);
    });

    it('works with redis-cli, the password in REDISCLI_AUTH and never on the command line', async () => {
      const { credential } = await mint();
      const { stdout } = await promisify(execFile)(
        'redis-cli',
        ['-u', credential.url, '--no-auth-warning', 'GET', `${KEYS}:greeting`],
        { env: { ...process.env, REDISCLI_AUTH: credential.password } },
      );
      expect(stdout.trim()).toBe('hello');
    });

    it('ends the open connection and refuses AUTH once the grant is revoked', async () => {
      const minted = await mint();
      const client = await loginWith(minted.credential);
      const other = await mint();
      const otherClient = await loginWith(other.credential);
      expect(await client.get(`${KEYS}:greeting`)).toBe('hello');

      await revoke(minted.grantId);

      await eventually(() => (client.status === 'end' ? true : undefined), 3000);
      expect(await userExists(minted.credential.user)).toBe(false);
      expect(await authError(minted.credential)).toMatch(/^WRONGPASS/);
      // An overlapping grant is its own user: untouched.
      expect(await otherClient.get(`${KEYS}:greeting`)).toBe('hello');
      expect(await authError(other.credential)).toBeUndefined();
      otherClient.disconnect();
      // Idempotent: revoking again answers the ended grant.
      await revoke(minted.grantId);
    });

    it('deletes the user at expiry', async () => {
      const minted = await mint('3s');
      const client = await loginWith(minted.credential);
      await eventually(async () => {
        const grant = await (
          await as(broker, 'dave')
        )
          .get(`/v1/grants/${minted.grantId}`)
          .expect(200);
        return grant.body.status === 'expired' ? true : undefined;
      }, 8000);
      expect(client.status).toBe('end');
      expect(await authError(minted.credential)).toMatch(/^WRONGPASS/);
    });

    it('removes ACL users no active grant owns, sparing grants still committing', async () => {
      const registry = broker.app.get(ProviderRegistry);
      const role = broker.config.policy.roles.find((r) => r.name === 'cache-read')!;
      const provider = registry.forRole(role) as RedisProvider;
      const active = await mint();

      // A broker killed between the provider's grant and its commit: the user exists, no grant row.
      const crashed = Object.assign(new GrantRow(), {
        id: randomUUID(),
        issuedAt: new Date(Date.now() - 60 * 60 * 1000),
        expiresAt: new Date(Date.now() + 60 * 60 * 1000),
      });
      const leftBehind = (await provider.grant(crashed)).credential as RedisCredential;
      const inFlight = (
        await provider.grant(
          Object.assign(new GrantRow(), { ...crashed, id: randomUUID(), issuedAt: new Date() }),
        )
      ).credential as RedisCredential;
      // Users that only look like ours are never touched.
      const lookalike = `${prefix}not_a_grant`;
      await admin.call('ACL', 'SETUSER', lookalike, 'off');

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
      expect(await authError(active.credential)).toBeUndefined();
    });

    it('fails as unreachable while Redis is down, naming no secret', async () => {
      const provider = broker.app.get(ProviderRegistry).forRole({
        ...broker.config.policy.roles.find((r) => r.name === 'cache-read')!,
        provider: {
          type: 'redis',
          url: 'redis://countersign:hunter2@127.0.0.1:1',
          rules: '+ping',
          userPrefix: prefix,
        },
      });
      const grant = Object.assign(new GrantRow(), {
        id: randomUUID(),
        issuedAt: new Date(),
        expiresAt: new Date(Date.now() + 60_000),
      });
      await expect(provider.grant(grant, undefined as never)).rejects.toThrow(
        'redis 127.0.0.1:1 unreachable (ECONNREFUSED)',
      );
      await expect(provider.revoke(grant)).rejects.toThrow(/^redis 127\.0\.0\.1:1 unreachable/);
    });

    it('keeps a grant overdue while Redis is unreachable at expiry, and ends it once it is back', async () => {
      const minted = await mint('2s', 'cache-relayed');
      await relay.stop();
      try {
        const failed = await eventually(async () => {
          const events = await auditTrail(broker, { type: 'grant.revocation_failed' });
          const mine = events.filter((e) => e.grantId === minted.grantId);
          return mine.length > 0 ? mine : undefined;
        }, 8000);
        expect(failed[0].data).toMatchObject({
          failures: 1,
          error: `redis 127.0.0.1:${relay.port} unreachable (ECONNREFUSED)`,
        });
        expect(JSON.stringify(failed)).not.toContain(minted.credential.password);
        const dave = await as(broker, 'dave');
        const grant = (await dave.get(`/v1/grants/${minted.grantId}`).expect(200)).body;
        expect(grant).toMatchObject({ status: 'active', overdue: true });
        expect(await userExists(minted.credential.user)).toBe(true);
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
      expect(await userExists(minted.credential.user)).toBe(false);
      expect(await authError(minted.credential)).toMatch(/^WRONGPASS/);
    });
  },
);
