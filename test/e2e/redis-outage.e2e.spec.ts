import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#access';
import { LogIntegrator } from '#audit';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { freshDatabase } from '../support/databases.js';
import { FlakyProxy } from '../support/flaky-proxy.js';
import type { MintedGrant } from '../support/flow.js';
import { as, eventually } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

const REDIS_PORT = 6379;
// What any call may take while Redis is away: its Redis steps give up after 1 s (rate limit,
// job scheduling) and readiness after 2 s.
const BOUND_MS = 3500;

interface Timed<T> {
  ms: number;
  value: T;
}

/** How long `work` took; a call that hangs fails the test after 10 s, saying which. */
async function timed<T>(what: string, work: () => PromiseLike<T>): Promise<Timed<T>> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} hung`)), 10_000);
  });
  try {
    const value = await Promise.race([work(), hung]);
    return { ms: Date.now() - started, value };
  } finally {
    clearTimeout(timer);
  }
}

describe('a Redis outage (PostgreSQL + Redis through a TCP proxy)', () => {
  let issuer: TestIssuer;
  let proxy: FlakyProxy;
  let database: FreshDatabase;
  let broker: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    proxy = await FlakyProxy.start(REDIS_PORT);
    database = await freshDatabase('postgres');
    // Shared rate limits on (they live in Redis) and a quick sweep to end what the queue misses.
    const yaml = testConfigYaml(issuer)
      .replace('perMinute: 0', 'perMinute: 10000')
      .replace('sweepInterval: 30s', 'sweepInterval: 1s');
    broker = await startBroker({
      kind: 'postgres',
      issuer,
      database,
      yaml,
      background: true,
      env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` },
    });
  });

  afterAll(async () => {
    await proxy.forward();
    await broker?.close();
    await proxy.close();
    await database?.drop();
    await issuer.close();
  });

  /** Request, approve and mint a `quick` grant; every step's status and time. */
  async function mint(duration = '3s'): Promise<{ steps: Timed<number>[]; grant?: MintedGrant }> {
    const alice = await as(broker, 'alice');
    const bob = await as(broker, 'bob');
    const steps: Timed<number>[] = [];
    const step = async (call: () => PromiseLike<{ status: number; body: unknown }>) => {
      const { ms, value } = await timed('a flow step', call);
      steps.push({ ms, value: value.status });
      return value.body as Record<string, unknown>;
    };
    const request = await step(() => alice.post('/v1/requests', { role: 'quick', duration }));
    await step(() => bob.post(`/v1/requests/${request.id as string}/approve`));
    const minted = await step(() => alice.post(`/v1/requests/${request.id as string}/credentials`));
    const grantId = minted.grantId as string | undefined;
    return {
      steps,
      grant: grantId ? { grantId, expiresAt: minted.expiresAt as string, token: '' } : undefined,
    };
  }

  /** Everything the API does, each within the bound and never a 5xx; readiness says Redis down. */
  async function expectServedWithoutRedis(): Promise<MintedGrant[]> {
    const minted: MintedGrant[] = [];
    for (let i = 0; i < 3; i += 1) {
      const { steps, grant } = await mint();
      expect(steps.map((step) => step.value)).toEqual([201, 200, 201]);
      for (const step of steps) expect(step.ms).toBeLessThan(BOUND_MS);
      minted.push(grant!);
    }
    const alice = await as(broker, 'alice');
    const listed = await timed('GET /v1/grants', () => alice.get('/v1/grants'));
    expect(listed.value.status).toBe(200);
    expect(listed.ms).toBeLessThan(BOUND_MS);
    // Revoking drops the bucket's job in Redis (best effort): it must not wait for it.
    const { grant: toRevoke } = await mint('5m');
    const revoked = await timed('revoke', () =>
      alice.post(`/v1/grants/${toRevoke!.grantId}/revoke`, { reason: 'done' }),
    );
    expect(revoked.value.status).toBe(200);
    expect(revoked.value.body.status).toBe('revoked');
    expect(revoked.ms).toBeLessThan(BOUND_MS);
    const metrics = await timed('GET /metrics', () => broker.http.get('/metrics'));
    expect(metrics.value.status).toBe(200);
    expect(metrics.ms).toBeLessThan(BOUND_MS);
    const ready = await timed('GET /health/ready', () => broker.http.get('/health/ready'));
    expect(ready.value.status).toBe(503);
    expect(ready.value.body.error.redis.status).toBe('down');
    expect(ready.value.body.info.database.status).toBe('up');
    expect(ready.ms).toBeLessThan(BOUND_MS);
    return minted;
  }

  it('answers within a bound while Redis hangs or refuses, says so in readiness, and still ends every grant at expiry', async () => {
    const before = await mint();
    expect(before.steps.map((step) => step.value)).toEqual([201, 200, 201]);
    expect((await broker.http.get('/health/ready')).status).toBe(200);

    // Hung: connections stay open and nothing answers.
    proxy.hang();
    const duringHang = await expectServedWithoutRedis();
    // Down: refused.
    await proxy.stop();
    const duringRefusal = await expectServedWithoutRedis();

    await proxy.forward();
    await eventually(
      async () => ((await broker.http.get('/health/ready')).status === 200 ? true : undefined),
      10_000,
      200,
    );
    const grants = [before.grant!, ...duringHang, ...duringRefusal];
    const alice = await as(broker, 'alice');
    for (const grant of grants) {
      await eventually(
        async () => {
          const view = await alice.get(`/v1/grants/${grant.grantId}`).expect(200);
          return view.body.status === 'expired' ? true : undefined;
        },
        15_000,
        200,
      );
    }
    // Each ended exactly once, by the job or by the sweep.
    await broker.app.get(LogIntegrator).catchUp();
    const rows: { grant_id: string; n: string }[] = await broker.app
      .get<DataSource>(DATA_SOURCE)
      .query(
        `SELECT grant_id, COUNT(*) AS n FROM audit_events WHERE type IN ('grant.expired', 'grant.revoked') AND grant_id = ANY($1) GROUP BY grant_id`,
        [grants.map((grant) => grant.grantId)],
      );
    expect(rows).toHaveLength(grants.length);
    expect(rows.every((row) => Number(row.n) === 1)).toBe(true);
  }, 120_000);
});
