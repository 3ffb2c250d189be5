import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import type { CredentialProvider } from '#access';
import type { TestBroker } from '../support/broker.js';
import { startBroker } from '../support/broker.js';
import type { DatabaseKind } from '../support/databases.js';
import { TEST_REDIS_URL, freshDatabase } from '../support/databases.js';
import { as, eventually, mintQuickGrant } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(20_000);

interface GrantEnd {
  grantId: string;
  type: string;
  data: { source?: string; lagMs?: number; failures?: number };
}

async function endEvents(broker: TestBroker, grantId: string): Promise<GrantEnd[]> {
  const dave = await as(broker, 'dave');
  const events: GrantEnd[] = [];
  for (const type of ['grant.expired', 'grant.revoked', 'grant.revocation_failed']) {
    const page = await dave.get(`/v1/audit?type=${type}&limit=200`).expect(200);
    events.push(...(page.body as { items: GrantEnd[] }).items.filter((e) => e.grantId === grantId));
  }
  return events;
}

async function grantStatus(broker: TestBroker, grantId: string) {
  const alice = await as(broker, 'alice');
  return (await alice.get(`/v1/grants/${grantId}`).expect(200)).body as {
    status: string;
    endedAt?: string;
    expiresAt: string;
    overdue?: boolean;
    revocationFailures?: number;
  };
}

/** Seconds from expiresAt to endedAt. */
const lagOf = (grant: { expiresAt: string; endedAt?: string }) =>
  (new Date(grant.endedAt ?? 0).getTime() - new Date(grant.expiresAt).getTime()) / 1000;

const untilEnded = (broker: TestBroker, grantId: string, timeoutMs: number) =>
  eventually(async () => {
    const grant = await grantStatus(broker, grantId);
    return grant.status === 'active' ? undefined : grant;
  }, timeoutMs);

const withSweepEvery = (yaml: string, interval: string) =>
  yaml.replace('sweepInterval: 30s', `sweepInterval: ${interval}`);

// PostgreSQL runs with BullMQ on Redis (the fast path is a delayed job); SQLite runs embedded
// (the fast path is an in-process timer). Both must meet the same guarantees.
describe.each<[DatabaseKind, string]>([
  ['postgres', 'job'],
  ['sqlite', 'timer'],
])('scheduled revocation on %s (fast path: %s)', (kind, fastPath) => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });

  afterAll(async () => {
    await issuer.close();
  });

  it('ends a 3 s grant as expired within 1 s of its expiry, through the fast path, once', async () => {
    const broker = await startBroker({ kind, issuer });
    try {
      const minted = await mintQuickGrant(broker, '3s');
      const ended = await untilEnded(broker, minted.grantId, 6000);
      expect(ended.status).toBe('expired');
      expect(lagOf(ended)).toBeGreaterThanOrEqual(0);
      expect(lagOf(ended)).toBeLessThan(1);
      const events = await endEvents(broker, minted.grantId);
      expect(events.map((e) => [e.type, e.data.source])).toEqual([['grant.expired', fastPath]]);
      const bob = await as(broker, 'bob');
      expect((await bob.post('/v1/introspect', { token: minted.token }).expect(200)).body).toEqual({
        active: false,
      });
    } finally {
      await broker.close();
    }
  });

  it('ends at start-up a grant that expired while the broker was stopped', async () => {
    const database = await freshDatabase(kind);
    try {
      const first = await startBroker({ kind, issuer, database });
      const minted = await mintQuickGrant(first, '2s');
      await first.close();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const second = await startBroker({ kind, issuer, database });
      try {
        // No waiting: start-up catches up before the app is initialised (and ready).
        const grant = await grantStatus(second, minted.grantId);
        expect(grant.status).toBe('expired');
        const events = await endEvents(second, minted.grantId);
        // With Redis the job survived the stop and may win the race; either way it ended once.
        const sources = kind === 'postgres' ? ['startup', 'job'] : ['startup'];
        expect(events.map((e) => e.type)).toEqual(['grant.expired']);
        expect(sources).toContain(events[0].data.source);
      } finally {
        await second.close();
      }
    } finally {
      await database.drop();
    }
  });

  it('keeps a grant overdue while its provider fails, retrying with backoff until it recovers', async () => {
    let failuresLeft = 3;
    const flaky: CredentialProvider = {
      type: 'jwt',
      revoke: () =>
        failuresLeft-- > 0 ? Promise.reject(new Error('target unreachable')) : Promise.resolve(),
    };
    const broker = await startBroker({ kind, issuer, providers: [flaky] });
    try {
      const minted = await mintQuickGrant(broker, '1s');
      const overdue = await eventually(async () => {
        const grant = await grantStatus(broker, minted.grantId);
        return grant.revocationFailures ? grant : undefined;
      }, 4000);
      expect(overdue).toMatchObject({ status: 'active', overdue: true });
      const dave = await as(broker, 'dave');
      const listed = (await dave.get('/v1/grants?overdue=true').expect(200)).body as {
        items: { id: string }[];
      };
      expect(listed.items.map((g) => g.id)).toContain(minted.grantId);
      const metrics = (await broker.http.get('/metrics').expect(200)).text;
      expect(metrics).toMatch(/countersign_grants_overdue 1\b/);

      // 3 failures back off 1 s, 2 s, 4 s: the fourth attempt succeeds about 7 s after expiry.
      const ended = await untilEnded(broker, minted.grantId, 12_000);
      expect(ended.status).toBe('expired');
      const events = await endEvents(broker, minted.grantId);
      expect(
        events.filter((e) => e.type === 'grant.revocation_failed').map((e) => e.data.failures),
      ).toEqual([1, 2, 3]);
      expect(events.filter((e) => e.type === 'grant.expired')).toHaveLength(1);
      expect(failuresLeft).toBe(-1);
    } finally {
      await broker.close();
    }
  }, 20_000);
});

describe('scheduled revocation with Redis failures', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });

  afterAll(async () => {
    await issuer.close();
  });

  it('after FLUSHALL right after mint, the sweep still ends the grant within one sweep interval', async () => {
    const database = await freshDatabase('postgres');
    const yaml = withSweepEvery(
      (await import('../support/broker.js')).testConfigYaml(issuer),
      '2s',
    );
    const broker = await startBroker({
      kind: 'postgres',
      issuer,
      database,
      yaml,
      background: true,
    });
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const minted = await mintQuickGrant(broker, '3s');
      await redis.flushall();
      const ended = await untilEnded(broker, minted.grantId, 8000);
      expect(ended.status).toBe('expired');
      expect(lagOf(ended)).toBeLessThan(2);
      expect(
        (await endEvents(broker, minted.grantId)).filter((e) => e.type === 'grant.expired'),
      ).toHaveLength(1);
    } finally {
      redis.disconnect();
      await broker.close();
      await database.drop();
    }
  });
});
