import { randomBytes } from 'node:crypto';
import type { AddressInfo, Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { AppConfig } from '#config';
import type { MinuteLimiter } from './minute-limiter.js';
import { REDIS_LIMIT_TIMEOUT_MS, minuteLimiter } from './minute-limiter.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

const configWith = (redisUrl: string | undefined, queuePrefix: string) =>
  ({ ...(redisUrl ? { redisUrl } : {}), revocation: { queuePrefix } }) as AppConfig;

/** Whether one more point for `key` is granted (true) or refused with a RateLimiterRes (false). */
async function granted(budget: MinuteLimiter, key: string): Promise<boolean> {
  try {
    await budget.limiter.consume(key);
    return true;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return false;
    throw rejection;
  }
}

async function listening(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A TCP proxy to the test Redis that can be told to stop forwarding (a hung Redis). */
async function pausableProxy() {
  let hung = false;
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(6379, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    inbound.on('data', (chunk) => hung || outbound.write(chunk));
    outbound.on('data', (chunk) => hung || inbound.write(chunk));
  });
  const port = await listening(server);
  return {
    url: `redis://127.0.0.1:${port}`,
    hang: () => (hung = true),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('minuteLimiter', () => {
  const prefixes: string[] = [];
  const opened: MinuteLimiter[] = [];
  const freshPrefix = () => {
    const prefix = `cs-test-${randomBytes(6).toString('hex')}`;
    prefixes.push(prefix);
    return prefix;
  };
  const open = async (redisUrl: string | undefined, prefix: string, points: number) => {
    const budget = minuteLimiter(configWith(redisUrl, prefix), 'principal', points);
    opened.push(budget);
    await budget.start();
    return budget;
  };

  let warnings: string[];

  beforeEach(() => {
    warnings = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });

  afterEach(async () => {
    for (const budget of opened.splice(0)) budget.close();
    jest.restoreAllMocks();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    for (const prefix of prefixes.splice(0)) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });

  it('counts in this process without Redis', async () => {
    const budget = await open(undefined, freshPrefix(), 2);
    expect([await granted(budget, 'a'), await granted(budget, 'a')]).toEqual([true, true]);
    expect(await granted(budget, 'a')).toBe(false);
    expect(await granted(budget, 'b')).toBe(true);
  });

  it('shares one budget between replicas on one Redis and prefix, in a fixed one-minute window', async () => {
    const prefix = freshPrefix();
    const [first, second] = [await open(REDIS_URL, prefix, 3), await open(REDIS_URL, prefix, 3)];
    expect(await granted(first, 'corp:alice')).toBe(true);
    expect(await granted(second, 'corp:alice')).toBe(true);
    expect(await granted(first, 'corp:alice')).toBe(true);
    expect(await granted(second, 'corp:alice')).toBe(false);
    expect(await granted(first, 'corp:alice')).toBe(false);
    expect(await granted(second, 'corp:bob')).toBe(true);

    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const key = `${prefix}:rate-limit:principal:corp:alice`;
      expect(await redis.get(key)).toBe('5');
      const ttl = await redis.pttl(key);
      expect(ttl > 55_000 && ttl <= 60_000).toBe(true);
    } finally {
      redis.disconnect();
    }
    // Another install on the same Redis (another queuePrefix) has budgets of its own.
    expect(await granted(await open(REDIS_URL, freshPrefix(), 3), 'corp:alice')).toBe(true);
  });

  it('falls back to a per-replica count, at once, while Redis refuses connections', async () => {
    const closed = createServer();
    const port = await listening(closed);
    await new Promise((resolve) => closed.close(resolve));
    const budget = await open(`redis://127.0.0.1:${port}`, freshPrefix(), 2);
    const started = Date.now();
    expect([await granted(budget, 'a'), await granted(budget, 'a')]).toEqual([true, true]);
    expect(await granted(budget, 'a')).toBe(false);
    expect(Date.now() - started).toBeLessThan(REDIS_LIMIT_TIMEOUT_MS);
    // Said once, however many reconnection attempts fail.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(warnings).toEqual([
      'Redis unreachable: the principal rate limit is counted per replica until it returns',
    ]);
  });

  it('starts within its bound against a Redis that accepts and never answers', async () => {
    const silent = createServer(() => undefined);
    const port = await listening(silent);
    try {
      const started = Date.now();
      const budget = await open(`redis://127.0.0.1:${port}`, freshPrefix(), 1);
      expect(Date.now() - started).toBeLessThan(REDIS_LIMIT_TIMEOUT_MS + 500);
      expect(await granted(budget, 'a')).toBe(true);
      expect(await granted(budget, 'a')).toBe(false);
    } finally {
      silent.close();
    }
  });

  it('bounds each call when a connected Redis hangs, and still limits per replica', async () => {
    const proxy = await pausableProxy();
    try {
      const budget = await open(proxy.url, freshPrefix(), 2);
      expect(await granted(budget, 'a')).toBe(true);
      proxy.hang();
      const started = Date.now();
      expect(await granted(budget, 'a')).toBe(true);
      expect(await granted(budget, 'a')).toBe(true);
      expect(await granted(budget, 'a')).toBe(false);
      expect(Date.now() - started).toBeLessThan(3 * REDIS_LIMIT_TIMEOUT_MS + 1000);
    } finally {
      await proxy.close();
    }
  }, 15_000);
});
