import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { AppConfig } from '#config';
import { APP_CONFIG } from './tokens.js';

export interface RedisStatus {
  reachable: boolean;
  /** `maxmemory-policy`, or undefined when Redis does not say (CONFIG disabled). */
  evictionPolicy?: string;
}

/**
 * Watches the Redis that holds revocation jobs. Any eviction policy but `noeviction` lets Redis drop
 * delayed jobs under memory pressure: the sweep still catches those grants, but late.
 */
@Injectable()
export class RedisHealth implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly client: Redis;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.client = new Redis(config.redisUrl ?? 'redis://127.0.0.1:6379', {
      // Health checks must answer fast when Redis is down, not queue until it returns.
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    this.client.on('error', () => undefined);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.client.connect().catch(() => undefined);
    const status = await this.status();
    if (status.evictionPolicy !== undefined && status.evictionPolicy !== 'noeviction') {
      this.logger.warn(
        `Redis maxmemory-policy is ${status.evictionPolicy}: set it to noeviction, or delayed revocation jobs may be evicted (the sweep still ends those grants, up to one sweep interval late)`,
      );
    }
  }

  async status(): Promise<RedisStatus> {
    try {
      await this.client.ping();
    } catch {
      return { reachable: false };
    }
    try {
      const reply = (await this.client.config('GET', 'maxmemory-policy')) as string[];
      return { reachable: true, evictionPolicy: reply[1] };
    } catch {
      return { reachable: true };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.client.disconnect();
    return Promise.resolve();
  }
}
