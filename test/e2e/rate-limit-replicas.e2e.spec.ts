import { Redis } from 'ioredis';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { TEST_REDIS_URL, freshDatabase } from '../support/databases.js';
import { expectError } from '../support/jwt-tools.js';
import { TestIssuer } from '../support/test-issuer.js';

const PER_MINUTE = 5;
const UNAUTHENTICATED_PER_MINUTE = 4;

/**
 * Two brokers on one PostgreSQL database and one Redis, with the same queue prefix: the
 * production shape with two replicas behind a load balancer. A budget is the install's, not the
 * replica's.
 */
describe('rate limits across replicas (PostgreSQL + Redis)', () => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let replicas: TestBroker[];

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    database = await freshDatabase('postgres');
    const yaml = testConfigYaml(issuer).replace(
      '  perMinute: 0\n',
      `  perMinute: ${PER_MINUTE}\n  unauthenticatedPerMinute: ${UNAUTHENTICATED_PER_MINUTE}\n`,
    );
    expect(yaml).toContain(`unauthenticatedPerMinute: ${UNAUTHENTICATED_PER_MINUTE}`);
    const first = await startBroker({ kind: 'postgres', issuer, yaml, database });
    const second = await startBroker({ kind: 'postgres', issuer, yaml, database });
    replicas = [first, second];
  });

  afterAll(async () => {
    for (const replica of replicas.splice(0)) await replica.close();
    await database.drop();
    await issuer.close();
  });

  const list = (replica: TestBroker, token: string) =>
    replica.http.get('/v1/requests').set('authorization', `Bearer ${token}`);
  /** The Redis connections of this install's rate limits, by the name they give themselves. */
  const limiterConnections = async (redis: Redis) =>
    ((await redis.client('LIST')) as string)
      .split('\n')
      .filter((line) => line.includes(` name=${database.queuePrefix}:rate-limit:`)).length;
  const retryAfterOf = (response: { headers: Record<string, string> }) =>
    Number(response.headers['retry-after']);

  it('allows `perMinute` requests of a principal in total across both replicas, then 429 on either', async () => {
    const [first, second] = replicas;
    const alice = await first.token('alice');
    for (let i = 0; i < PER_MINUTE; i += 1) {
      await list(replicas[i % 2], alice).expect(200);
    }
    for (const replica of [second, first]) {
      const refused = await list(replica, alice);
      expectError(refused, 429, 'rate_limited');
      expect(retryAfterOf(refused) >= 1 && retryAfterOf(refused) <= 60).toBe(true);
    }
    // Another principal has a budget of its own, on both replicas.
    const bob = await first.token('bob');
    await list(first, bob).expect(200);
    await list(second, bob).expect(200);
  });

  it('allows `unauthenticatedPerMinute` failed authentications of an address in total across both replicas', async () => {
    const [first, second] = replicas;
    for (let i = 0; i < UNAUTHENTICATED_PER_MINUTE; i += 1) {
      expectError(await list(replicas[i % 2], 'not-a-jwt'), 401, 'unauthenticated');
    }
    // Over budget on both replicas, even with a valid token (of a principal under its own budget).
    const carol = await first.token('carol');
    for (const replica of [first, second]) {
      const refused = await list(replica, carol);
      expectError(refused, 429, 'rate_limited');
      expect(retryAfterOf(refused) >= 1 && retryAfterOf(refused) <= 60).toBe(true);
    }
  });

  it('keeps its counts under the install’s queue prefix, and closes its connections on shutdown', async () => {
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const keys = await redis.keys(`${database.queuePrefix}:rate-limit:*`);
      expect(keys.sort()).toEqual(
        expect.arrayContaining([
          `${database.queuePrefix}:rate-limit:principal:corp:alice`,
          `${database.queuePrefix}:rate-limit:principal:corp:bob`,
        ]),
      );
      expect(
        keys.some((key) => key.startsWith(`${database.queuePrefix}:rate-limit:unauthenticated:`)),
      ).toBe(true);
      // Per replica: the global per-principal guard, the web pages' own instance of it (after
      // their session guard) and the unauthenticated limiter.
      expect(await limiterConnections(redis)).toBe(6);
      for (const replica of replicas.splice(0)) await replica.close();
      expect(await limiterConnections(redis)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});
