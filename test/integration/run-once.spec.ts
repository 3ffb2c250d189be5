import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import pg from 'pg';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { CredentialProvider, GrantContext, LiveAccess } from '#access';
import {
  BreakGlassEscalationTask,
  JwtProvider,
  ProviderError,
  ProviderReconcileTask,
  RequestExpiryTask,
} from '#access';
import { FixedClock } from '#domain';
import type { GrantRow, ScheduledTask } from '#persistence';
import { ADVISORY_LOCKS } from '#persistence';
import { auditTrail } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { freshDatabase } from '../support/databases.js';
import { as, createRequest, eventually } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(120_000);

/** Counts the security team's webhook alerts by kind. */
class AlertReceiver {
  readonly kinds: string[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<AlertReceiver> {
    const server = createServer();
    const receiver = new AlertReceiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        receiver.kinds.push(
          (JSON.parse(Buffer.concat(chunks).toString()) as { kind: string }).kind,
        );
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/alerts`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * One target system both replicas reach (a database's login roles, say): what it holds open, by
 * grant id. Removing what is already gone fails, as a target answering "no such role" would.
 */
class SharedTarget {
  readonly open = new Map<string, Date>();
  removed = 0;

  /** A replica's provider for this target: countersign's JWTs, and listing counted per replica. */
  providerFor(): CredentialProvider & { listings: number } {
    const jwt = new JwtProvider();
    const provider = {
      type: 'jwt',
      listings: 0,
      grant: (grant: GrantRow, context: GrantContext) => jwt.grant(grant, context),
      revoke: () => Promise.resolve(),
      listLive: (): Promise<LiveAccess[]> => {
        provider.listings += 1;
        return Promise.resolve(
          [...this.open].map(([grantId, createdAt]) => ({
            grantId,
            createdAt,
            remove: () => this.remove(grantId),
          })),
        );
      },
    };
    return provider;
  }

  private remove(grantId: string): Promise<void> {
    if (!this.open.delete(grantId)) {
      return Promise.reject(new ProviderError(`no access open for ${grantId}`));
    }
    this.removed += 1;
    return Promise.resolve();
  }
}

const yaml = (issuer: TestIssuer, receiver: AlertReceiver) =>
  testConfigYaml(
    issuer,
    `    - name: emergency
      resource: postgres://prod/payments
      actions: [db:read]
      maxDuration: 1h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      breakGlass:
        maxDuration: 10m
        reviewWithin: 1h
        escalateEvery: 15m
        notify:
          webhook: { url: ${receiver.url}, secret: break-glass-webhook-secret-0123456789 }
`,
    // An hour between sweeps: the test runs each interval itself, on both replicas at once.
  ).replace('sweepInterval: 30s', 'sweepInterval: 1h');

/** The backend pid of the connection holding a scheduled task's turn, if one holds it. */
async function turnHolder(observer: pg.Client, task: ScheduledTask): Promise<number | undefined> {
  const { rows } = await observer.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
      AND classid = 0 AND objid = $1 AND objsubid = 1`,
    [ADVISORY_LOCKS[task]],
  );
  return rows[0]?.pid;
}

it('gives every advisory lock a key of its own', () => {
  const keys = Object.values(ADVISORY_LOCKS);
  expect(new Set(keys).size).toBe(keys.length);
});

// Two brokers running their background tasks on one PostgreSQL database and Redis, as replicas
// run. Each interval is run by hand, on both at once: the work is done once, by one of them, and
// the other takes the turn when the first loses its connection or stops.
describe('scheduled tasks across replicas', () => {
  const clock = new FixedClock(new Date());
  const target = new SharedTarget();
  let issuer: TestIssuer;
  let receiver: AlertReceiver;
  let database: FreshDatabase;
  let observer: pg.Client;
  let brokers: TestBroker[];
  let providers: Array<ReturnType<SharedTarget['providerFor']>>;
  /** The replica holding the request-expiry turn, and the other. */
  let leader: TestBroker;
  let follower: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    receiver = await AlertReceiver.start();
    database = await freshDatabase('postgres');
    observer = new pg.Client({ connectionString: database.url });
    await observer.connect();
    providers = [target.providerFor(), target.providerFor()];
    brokers = [];
    for (const provider of providers) {
      const broker = await startBroker({
        kind: 'postgres',
        issuer,
        clock,
        database,
        background: true,
        yaml: yaml(issuer, receiver),
        providers: [provider],
      });
      brokers.push(broker);
      // The intervals are the test's to run.
      const scheduler = broker.app.get(SchedulerRegistry);
      for (const name of ['request-expiry', 'break-glass-escalation', 'provider-reconcile']) {
        clearInterval(scheduler.getInterval(name));
        scheduler.deleteInterval(name);
      }
    }
  });

  afterAll(async () => {
    for (const broker of brokers ?? []) await broker.close();
    await observer?.end();
    await database?.drop();
    await receiver?.close();
    await issuer?.close();
  });

  const both = <T>(run: (broker: TestBroker) => Promise<T>) => Promise.all(brokers.map(run));
  const expireRequests = (broker: TestBroker) => broker.app.get(RequestExpiryTask).tick();
  const escalate = (broker: TestBroker) => broker.app.get(BreakGlassEscalationTask).tick();
  const reconcile = (broker: TestBroker) => broker.app.get(ProviderReconcileTask).reconcile();
  const auditOf = (type: string) => auditTrail(brokers[brokers.length - 1], { type });
  const expiredAmong = async (ids: readonly string[]) =>
    (await auditOf('request.expired')).filter((event) => ids.includes(event.requestId ?? ''));
  const createRequests = async (count: number, on: readonly TestBroker[]) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1)
      ids.push((await createRequest(on[i % on.length], 'alice')).id);
    return ids;
  };
  const escalatedAlerts = () => receiver.kinds.filter((kind) => kind === 'escalated').length;

  it('expires 50 requests past their timeout once: one replica sweeps, the other skips', async () => {
    const ids = await createRequests(50, brokers);
    clock.advance(24 * 3600 + 1);
    const counts = await both(expireRequests);
    expect([...counts].sort()).toEqual([50, undefined]);
    expect((await expiredAmong(ids)).map((event) => event.requestId).sort()).toEqual(ids.sort());
    leader = brokers[counts.indexOf(50)];
    follower = brokers[counts.indexOf(undefined)];
    // The next interval, with nothing due: the same replica's turn.
    expect(await expireRequests(leader)).toBe(0);
    expect(await expireRequests(follower)).toBeUndefined();
  });

  it('sends each break-glass escalation once, from one replica', async () => {
    for (const user of ['alice', 'grace']) {
      await (
        await as(brokers[0], user, ['engineering'])
      )
        .post('/v1/break-glass', { role: 'emergency', justification: 'INC-7', duration: '5m' })
        .expect(201);
    }
    clock.advance(3600 + 1);
    expect((await both(escalate)).sort()).toEqual([2, undefined]);
    await eventually(() => (escalatedAlerts() >= 2 ? true : undefined), 5000);
    expect(await auditOf('break_glass.escalated')).toHaveLength(2);
    // Another interval with nothing due: nothing sent by either.
    expect((await both(escalate)).sort()).toEqual([0, undefined]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(escalatedAlerts()).toBe(2);
  });

  it('reconciles a target from one replica: a stray role dropped once, no failure anywhere', async () => {
    target.open.set(randomUUID(), new Date(0));
    const listingsBefore = providers.map((provider) => provider.listings);
    const runs = await both(reconcile);
    expect(runs.filter((run) => run === undefined)).toHaveLength(1);
    expect(runs.find((run) => run !== undefined)).toEqual({ removed: 1, failed: 0, failures: [] });
    expect(target.removed).toBe(1);
    expect(target.open.size).toBe(0);
    // The target was listed once this interval, not once per replica.
    const listings = providers.map((provider, i) => provider.listings - listingsBefore[i]);
    expect(listings.sort()).toEqual([0, 1]);
  });

  it('passes a turn on when its holder’s connection is killed, at the next interval', async () => {
    const holderPid = await turnHolder(observer, 'requestExpiry');
    expect(holderPid).toBeDefined();
    const { rows } = await observer.query<{ done: boolean }>(
      'SELECT pg_terminate_backend($1) AS done',
      [holderPid],
    );
    expect(rows).toEqual([{ done: true }]);
    // The server lets the lock go as the killed backend exits.
    await eventually(
      async () => ((await turnHolder(observer, 'requestExpiry')) === undefined ? true : undefined),
      5000,
    );

    const ids = await createRequests(10, [follower]);
    clock.advance(24 * 3600 + 1);
    // The replica that lost its connection is still running; the other asks first and takes the
    // turn, and the first then finds it taken.
    await expect(expireRequests(follower)).resolves.toBe(10);
    await expect(expireRequests(leader)).resolves.toBeUndefined();
    expect(await turnHolder(observer, 'requestExpiry')).not.toBe(holderPid);
    expect(await expiredAmong(ids)).toHaveLength(10);
    [leader, follower] = [follower, leader];
  });

  it('passes every turn on when the replica holding them stops', async () => {
    // The new leader takes the other turns too (the old one lost them all with its connection),
    // escalating both activations again: the last test moved the clock by a day.
    await expect(escalate(leader)).resolves.toBe(2);
    await expect(reconcile(leader)).resolves.toEqual({ removed: 0, failed: 0, failures: [] });
    await expect(escalate(follower)).resolves.toBeUndefined();
    await expect(reconcile(follower)).resolves.toBeUndefined();

    target.open.set(randomUUID(), new Date(0));
    const ids = await createRequests(5, [follower]);
    await leader.close();
    brokers = brokers.filter((broker) => broker !== leader);
    clock.advance(24 * 3600 + 1);

    await expect(expireRequests(follower)).resolves.toBe(5);
    await expect(escalate(follower)).resolves.toBe(2);
    await expect(reconcile(follower)).resolves.toEqual({ removed: 1, failed: 0, failures: [] });
    expect(target.removed).toBe(2);
    expect(await expiredAmong(ids)).toHaveLength(5);
    expect(await auditOf('break_glass.escalated')).toHaveLength(6);
    await eventually(() => (escalatedAlerts() >= 6 ? true : undefined), 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(escalatedAlerts()).toBe(6);
  });
});
