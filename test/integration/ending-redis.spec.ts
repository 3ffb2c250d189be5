import { once } from 'node:events';
import { RedisConnection, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { TIMED_OUT, waitAtMost } from '#access';
import { closeWorker } from '../../libs/access/src/wiring/close-worker.js';
import { EndingRedis, useEndingRedisForBullmq } from '../../libs/access/src/wiring/ending-redis.js';
import { FlakyProxy } from '../support/flaky-proxy.js';

const REDIS_PORT = 6379;
// Nothing listens here: every connection attempt is refused at once.
const REFUSED = 'redis://127.0.0.1:1';

async function reconnecting(client: Redis): Promise<void> {
  client.on('error', () => undefined);
  if (client.status === 'reconnecting') return;
  await new Promise((resolve) => client.once('reconnecting', resolve));
}

describe('EndingRedis: disconnecting a client that waits to reconnect', () => {
  it('ends it and rejects the commands it held', async () => {
    const client = new EndingRedis(REFUSED, {
      maxRetriesPerRequest: null,
      retryStrategy: () => 60_000,
    });
    await reconnecting(client);
    const held = client.get('anything');
    const ended = once(client, 'end');
    client.disconnect();
    expect(await waitAtMost(ended, 2000)).not.toBe(TIMED_OUT);
    expect(client.status).toBe('end');
    await expect(held).rejects.toThrow('Connection is closed.');
  });

  it('is needed: a plain ioredis client stays reconnecting for good (drop EndingRedis once this fails)', async () => {
    const client = new Redis(REFUSED, { maxRetriesPerRequest: null, retryStrategy: () => 60_000 });
    await reconnecting(client);
    const held = client.get('anything');
    held.catch(() => undefined);
    const ended = once(client, 'end');
    client.disconnect();
    expect(await waitAtMost(ended, 1000)).toBe(TIMED_OUT);
    expect(client.status).toBe('reconnecting');
  });

  it('duplicates as itself, so the connections BullMQ derives end alike', () => {
    const client = new EndingRedis(REFUSED, { lazyConnect: true });
    expect(client.duplicate()).toBeInstanceOf(EndingRedis);
  });
});

describe('a BullMQ worker stopped while Redis is down (taskforcesh/bullmq#4656)', () => {
  let proxy: FlakyProxy;
  const factory = RedisConnection.clientFactory;

  beforeAll(async () => {
    proxy = await FlakyProxy.start(REDIS_PORT);
    useEndingRedisForBullmq();
  });

  afterAll(async () => {
    RedisConnection.clientFactory = factory;
    await proxy.close();
  });

  it('stops within seconds, by dropping its connections once the grace has passed', async () => {
    const worker = new Worker('ending-redis-spec', () => Promise.resolve(), {
      connection: { url: `redis://127.0.0.1:${proxy.port}`, maxRetriesPerRequest: null },
      prefix: `ending-redis-${process.pid}`,
    });
    worker.on('error', () => undefined);
    await worker.waitUntilReady();
    // Redis goes away: every connection is cut and reconnecting is refused, with BullMQ's backoff.
    await proxy.stop();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const warnings: string[] = [];
    const logger = {
      warn: (line: string) => warnings.push(line),
      error: (line: string) => warnings.push(line),
    };
    const started = Date.now();
    // Forced, mostly: its fetch waits for a Redis that is gone. Closed when the loop happened to
    // be between commands; without EndingRedis it is stuck for good.
    const outcome = await closeWorker(worker, 1000, logger);
    expect(['closed', 'forced']).toContain(outcome);
    expect(Date.now() - started).toBeLessThan(6000);
  });
});
