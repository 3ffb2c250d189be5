import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { JSONWebKeySet } from 'jose';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { CredentialProvider } from '#access';
import { JwtProvider, REVOCATION_QUEUE, bucketEnd, jobIdFor } from '#access';
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
    const flaky: CredentialProvider = Object.assign(new JwtProvider(), {
      revoke: () =>
        failuresLeft-- > 0 ? Promise.reject(new Error('target unreachable')) : Promise.resolve(),
    });
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

describe.each<DatabaseKind>(['postgres', 'sqlite'])('the signed revocation list on %s', (kind) => {
  it('lists credentials revoked early until they expire, signed with the credential key', async () => {
    const issuer = await TestIssuer.start();
    const broker = await startBroker({ kind, issuer });
    try {
      const revoked = await mintQuickGrant(broker, '10m');
      const kept = await mintQuickGrant(broker, '10m');
      const alice = await as(broker, 'alice');
      await alice.post(`/v1/grants/${revoked.grantId}/revoke`, { reason: 'done' }).expect(200);

      const response = await alice.get('/v1/revocations').expect(200);
      expect(response.headers['content-type']).toMatch(/^application\/jwt/);
      const jwks = createLocalJWKSet(
        (await broker.http.get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet,
      );
      const { payload } = await jwtVerify(response.text, jwks, {
        issuer: broker.config.credentials.issuer,
      });
      expect(payload.revoked).toEqual([revoked.grantId]);
      expect(payload.revoked).not.toContain(kept.grantId);
      expect(payload.exp! - payload.iat!).toBe(300);
      await broker.http.get('/v1/revocations').expect(401);
    } finally {
      await broker.close();
      await issuer.close();
    }
  });
});

describe('scheduling within the horizon', () => {
  it('adds no job at mint beyond the horizon; a sweep adds it once the horizon reaches it', async () => {
    const issuer = await TestIssuer.start();
    const database = await freshDatabase('postgres');
    const yaml = withSweepEvery(
      (await import('../support/broker.js')).testConfigYaml(issuer),
      '1s',
    );
    // Sweeps every second: the horizon is its floor, 60 s.
    const broker = await startBroker({
      kind: 'postgres',
      issuer,
      database,
      yaml,
      background: true,
    });
    try {
      const minted = await mintQuickGrant(broker, '63s');
      const queue = broker.app.get<Queue>(getQueueToken(REVOCATION_QUEUE));
      const jobId = jobIdFor(bucketEnd(new Date(minted.expiresAt)));
      expect(await queue.getJobState(jobId)).toBe('unknown');
      const inHorizon = new Date(minted.expiresAt).getTime() - 60_000;
      await eventually(
        async () => ((await queue.getJobState(jobId)) === 'delayed' ? true : undefined),
        inHorizon - Date.now() + 3000,
      );
      expect(Date.now()).toBeGreaterThanOrEqual(inHorizon);
    } finally {
      await broker.close();
      await database.drop();
      await issuer.close();
    }
  });
});

describe('early revocation with BullMQ', () => {
  it('removes the pending expiry job when the last grant of its bucket ends early', async () => {
    const issuer = await TestIssuer.start();
    const broker = await startBroker({ kind: 'postgres', issuer });
    try {
      // Within the scheduling horizon (three 30 s sweeps), so the mint itself adds the job.
      const minted = await mintQuickGrant(broker, '60s');
      const queue = broker.app.get<Queue>(getQueueToken(REVOCATION_QUEUE));
      const jobId = jobIdFor(bucketEnd(new Date(minted.expiresAt)));
      expect(await queue.getJobState(jobId)).toBe('delayed');
      const alice = await as(broker, 'alice');
      await alice.post(`/v1/grants/${minted.grantId}/revoke`, { reason: 'done early' }).expect(200);
      expect(await queue.getJobState(jobId)).toBe('unknown');
    } finally {
      await broker.close();
      await issuer.close();
    }
  });

  it('reports a Redis that may evict jobs in readiness, with a warning', async () => {
    const issuer = await TestIssuer.start();
    const redis = new Redis(TEST_REDIS_URL);
    const [, previous] = (await redis.config('GET', 'maxmemory-policy')) as string[];
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const broker = await startBroker({ kind: 'postgres', issuer });
    try {
      const ready = await broker.http.get('/health/ready').expect(200);
      expect(ready.body.details.redis).toMatchObject({
        status: 'up',
        evictionPolicy: 'allkeys-lru',
        warning: 'set maxmemory-policy noeviction',
      });
    } finally {
      await redis.config('SET', 'maxmemory-policy', previous);
      redis.disconnect();
      await broker.close();
      await issuer.close();
    }
  });
});

describe.each<DatabaseKind>(['postgres', 'sqlite'])(
  'early revocation through a failing provider on %s',
  (kind) => {
    it('answers 503 unavailable, audits the failure, keeps the grant active, and succeeds on retry', async () => {
      const issuer = await TestIssuer.start();
      let failuresLeft = 1;
      const flaky: CredentialProvider = Object.assign(new JwtProvider(), {
        revoke: () =>
          failuresLeft-- > 0 ? Promise.reject(new Error('target unreachable')) : Promise.resolve(),
      });
      const broker = await startBroker({ kind, issuer, providers: [flaky] });
      try {
        const minted = await mintQuickGrant(broker, '10m');
        const alice = await as(broker, 'alice');
        const first = await alice
          .post(`/v1/grants/${minted.grantId}/revoke`, { reason: 'done' })
          .expect(503);
        expect(first.body).toEqual({
          error: 'unavailable',
          message: expect.any(String),
          reason: 'provider_failed',
        });
        expect(await grantStatus(broker, minted.grantId)).toMatchObject({
          status: 'active',
          revocationFailures: 1,
        });
        const bob = await as(broker, 'bob');
        expect(
          (await bob.post('/v1/introspect', { token: minted.token }).expect(200)).body.active,
        ).toBe(true);

        await alice.post(`/v1/grants/${minted.grantId}/revoke`, { reason: 'done' }).expect(200);
        const events = await endEvents(broker, minted.grantId);
        expect(events.map((e) => e.type).sort()).toEqual([
          'grant.revocation_failed',
          'grant.revoked',
        ]);
        expect(
          (await bob.post('/v1/introspect', { token: minted.token }).expect(200)).body,
        ).toEqual({ active: false });
      } finally {
        await broker.close();
        await issuer.close();
      }
    });
  },
);

describe('scheduled revocation with Redis failures', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });

  afterAll(async () => {
    await issuer.close();
  });

  it('with Redis down at mint, still mints; the sweep ends the grant, and jobs are re-sent when Redis returns', async () => {
    // A Redis of this test's own, so stopping it disturbs nothing else.
    const port = 6391;
    const startRedis = async () => {
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      const probe = new Redis({
        port,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      await eventually(
        () =>
          probe.connect().then(
            () => true,
            () => undefined,
          ),
        5000,
      );
      probe.disconnect();
      return child;
    };
    let redisServer = await startRedis();
    const database = await freshDatabase('postgres');
    const yaml = withSweepEvery(
      (await import('../support/broker.js')).testConfigYaml(issuer),
      '1s',
    );
    const broker = await startBroker({
      kind: 'postgres',
      issuer,
      database,
      yaml,
      background: true,
      env: { REDIS_URL: `redis://127.0.0.1:${port}` },
    });
    try {
      redisServer.kill('SIGKILL');
      await eventually(
        async () => ((await broker.http.get('/health/ready')).status === 503 ? true : undefined),
        5000,
      );

      const first = await mintQuickGrant(broker, '2s');
      const second = await mintQuickGrant(broker, '6s');
      const ended = await untilEnded(broker, first.grantId, 6000);
      expect(ended.status).toBe('expired');
      expect(lagOf(ended)).toBeLessThan(1.5);
      expect((await endEvents(broker, first.grantId)).map((e) => [e.type, e.data.source])).toEqual([
        ['grant.expired', 'sweep'],
      ]);

      redisServer = await startRedis();
      const queue = broker.app.get<Queue>(getQueueToken(REVOCATION_QUEUE));
      const jobId = jobIdFor(bucketEnd(new Date(second.expiresAt)));
      await eventually(
        async () => ((await queue.getJobState(jobId)) === 'delayed' ? true : undefined),
        5000,
      );
      const secondEnded = await untilEnded(broker, second.grantId, 8000);
      expect(secondEnded.status).toBe('expired');
      expect((await endEvents(broker, second.grantId)).map((e) => e.type)).toEqual([
        'grant.expired',
      ]);
    } finally {
      await broker.close();
      redisServer.kill('SIGKILL');
      await database.drop();
    }
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
