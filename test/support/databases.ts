import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

export type DatabaseKind = 'sqlite' | 'postgres';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The databases the suites run against: SQLite always, PostgreSQL on this machine and in CI. */
export const DATABASE_KINDS: DatabaseKind[] = ['sqlite', 'postgres'];

export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

export interface FreshDatabase {
  url: string;
  /** A Redis key prefix of its own, so parallel or earlier runs never share a queue. */
  queuePrefix: string;
  drop(): Promise<void>;
}

/** A new, empty database for one test file: a temporary SQLite file or a new PostgreSQL database. */
export async function freshDatabase(kind: DatabaseKind): Promise<FreshDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-test-'));
    return {
      url: `sqlite:${join(dir, 'test.sqlite')}`,
      queuePrefix: `cs-test-${randomBytes(6).toString('hex')}`,
      drop: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const suffix = randomBytes(6).toString('hex');
  const name = `countersign_test_${suffix}`;
  const queuePrefix = `cs-test-${suffix}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    queuePrefix,
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropRedisKeys(queuePrefix);
    },
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function dropRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
