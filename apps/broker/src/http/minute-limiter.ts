import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { waitAtMost } from '#access';
import type { AppConfig } from '#config';

/**
 * The longest a rate-limit call may wait for Redis. A hung Redis then costs a request this much
 * at most before the replica's own count decides instead.
 */
export const REDIS_LIMIT_TIMEOUT_MS = 1000;

/** A budget of points per key in fixed one-minute windows, and what it holds open. */
export interface MinuteLimiter {
  readonly limiter: RateLimiterAbstract;
  /** Waits (bounded) for the shared store, so the first requests are counted across replicas. */
  start(): Promise<void>;
  close(): void;
}

/**
 * `points` per key a minute. With `REDIS_URL` the count is shared by every broker on that Redis
 * (keys under the revocation `queuePrefix`, so installs sharing a Redis never share budgets);
 * without it, it lives in this process. While Redis is unreachable or slow each replica falls back
 * to its own in-memory count (rate-limiter-flexible's insurance limiter): the limit then holds per
 * replica, neither dropped (fail open) nor turned into refusing everyone (an outage of the API,
 * revocation included, caused by a cache).
 */
export function minuteLimiter(config: AppConfig, scope: string, points: number): MinuteLimiter {
  const inMemory = new RateLimiterMemory({ points, duration: 60 });
  if (!config.redisUrl) {
    return { limiter: inMemory, start: () => Promise.resolve(), close: () => undefined };
  }
  const keyPrefix = `${config.revocation.queuePrefix}:rate-limit:${scope}`;
  const client = new Redis(config.redisUrl, {
    connectionName: keyPrefix,
    lazyConnect: true,
    // Fail at once while disconnected, and within the bound while connected, never queue.
    enableOfflineQueue: false,
    commandTimeout: REDIS_LIMIT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
  });
  watchOutages(client, scope);
  const limiter = new RateLimiterRedis({
    storeClient: client,
    keyPrefix,
    points,
    duration: 60,
    rejectIfRedisNotReady: true,
    insuranceLimiter: inMemory,
  });
  return {
    limiter,
    start: () => readyWithin(client, REDIS_LIMIT_TIMEOUT_MS),
    close: () => client.disconnect(),
  };
}

/** Connects, waiting at most `ms`: a Redis that accepts and never answers must not stall start-up. */
async function readyWithin(client: Redis, ms: number): Promise<void> {
  await waitAtMost(
    client.connect().catch(() => undefined),
    ms,
  );
}

/**
 * One line when the shared count is reached and one warning when it is lost (at start-up too), not
 * one per reconnection attempt.
 */
function watchOutages(client: Redis, scope: string): void {
  const logger = new Logger('RateLimit');
  let shared: boolean | undefined;
  client.on('ready', () => {
    if (shared !== true) logger.log(`${scope} rate limit shared through Redis`);
    shared = true;
  });
  client.on('error', () => {
    if (shared !== false) {
      logger.warn(
        `Redis unreachable: the ${scope} rate limit is counted per replica until it returns`,
      );
    }
    shared = false;
  });
}
