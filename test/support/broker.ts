import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import type { AppConfig } from '#config';
import { parseConfig, resolveLogLevel } from '#config';
import type { Clock } from '#domain';
import type { BrokerOptions } from '../../apps/broker/src/app.module.js';
import { createBroker } from '../../apps/broker/src/bootstrap.js';
import type { DatabaseKind, FreshDatabase } from './databases.js';
import { TEST_REDIS_URL, freshDatabase } from './databases.js';
import type { TestIssuer } from './test-issuer.js';

/** The people of the test config, by role in the story. */
export const USERS = {
  alice: { sub: 'alice', groups: ['engineering'] },
  bob: { sub: 'bob', groups: ['sre-leads'] },
  carol: { sub: 'carol', groups: [] },
  dave: { sub: 'dave', groups: ['security', 'sre-leads'] },
  erin: { sub: 'erin', groups: ['sre-leads'] },
  mallory: { sub: 'mallory', groups: [] },
  frank: { sub: 'frank', groups: ['sre-leads'] },
} as const;

export type UserName = keyof typeof USERS;

/** Any issuer the tests can point the broker at: TestIssuer, or the OpenID provider of the web tests. */
export type TokenIssuer = Pick<TestIssuer, 'url' | 'jwksUri' | 'token'>;

export function testConfigYaml(issuer: TokenIssuer, extra = ''): string {
  return `
publicUrl: http://127.0.0.1:3999
separation: strict
auth:
  issuers:
    - name: corp
      issuer: ${issuer.url}
      jwksUri: ${issuer.jwksUri}
      audience: countersign
      groupsClaim: groups
owners:
  "corp:alice-bot": "corp:alice"
  "corp:bob-bot": "corp:bob"
aliases:
  - ["corp:frank", "corp:frank.alt"]
directory:
  "corp:erin": [sre-leads]
rateLimit:
  perMinute: 0
revocation:
  sweepInterval: 30s
  queuePrefix: \${TEST_QUEUE_PREFIX}
policy:
  admins: { groups: [security] }
  roles:
    - name: prod-db-admin
      resource: postgres://prod/payments
      actions: [db:read, db:write]
      maxDuration: 1h
      defaultDuration: 15m
      redeemWithin: 15m
      requestTimeout: 24h
      requesters: { groups: [engineering], principals: ["corp:frank.alt", "corp:bob-bot"] }
      approvers: { groups: [sre-leads], principals: ["corp:carol"] }
      approvalsRequired: 1
      requireJustification: true
    - name: two-person
      resource: https://deploy.example.com
      actions: [deploy:create]
      maxDuration: 30m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads], principals: ["corp:carol"] }
      approvalsRequired: 2
    - name: quick
      resource: https://quick.example.com
      actions: [run]
      maxDuration: 10m
      defaultDuration: 3s
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
${extra}`;
}

export interface TestBroker {
  app: INestApplication;
  config: AppConfig;
  http: TestAgent;
  /** A bearer token for a test user, with its groups. */
  /** A user of USERS, or any other sub (with no groups unless given). */
  token(user: string, groups?: string[]): Promise<string>;
  close(): Promise<void>;
}

export interface StartOptions {
  kind: DatabaseKind;
  issuer: TokenIssuer;
  yaml?: string;
  clock?: Clock;
  env?: Record<string, string>;
  /** Reuse a database across restarts; a fresh one is created (and dropped on close) otherwise. */
  database?: FreshDatabase;
  /** Run the periodic sweeps (off by default: most tests drive time themselves). */
  background?: boolean;
  providers?: BrokerOptions['providers'];
  workerOptions?: BrokerOptions['workerOptions'];
  /** The YAML a policy reload reads (with the same environment); the start-up YAML otherwise. */
  reloadYaml?: () => string;
  /** Listen on `PORT` (from `env`) on 127.0.0.1, for a browser; in-process requests only otherwise. */
  listen?: boolean;
}

export const TEST_ENCRYPTION_KEY = randomBytes(32).toString('base64');

export async function startBroker(options: StartOptions): Promise<TestBroker> {
  const database = options.database ?? (await freshDatabase(options.kind));
  const env = {
    DATABASE_URL: database.url,
    COUNTERSIGN_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    TEST_QUEUE_PREFIX: database.queuePrefix,
    // PostgreSQL runs are the production shape: BullMQ on Redis. SQLite runs are the embedded one.
    ...(options.kind === 'postgres' ? { REDIS_URL: TEST_REDIS_URL } : {}),
    ...options.env,
  };
  const config = parseConfig(options.yaml ?? testConfigYaml(options.issuer), env);
  const app = await createBroker(config, {
    clock: options.clock,
    logLevel: resolveLogLevel({ LOG_LEVEL: process.env.TEST_LOG_LEVEL }, 'silent'),
    backgroundJobs: options.background ?? false,
    providers: options.providers,
    workerOptions: options.workerOptions,
    // Notifications retried within the tests' patience; polled often as the backstop.
    notifications: { dispatcher: { pollMs: 200, firstRetryMs: 250 } },
    configSource: () =>
      parseConfig(options.reloadYaml?.() ?? options.yaml ?? testConfigYaml(options.issuer), env),
  });
  if (options.listen) await app.listen(config.port, '127.0.0.1');
  else await app.init();
  const http = request(app.getHttpServer());
  return {
    app,
    config,
    http,
    token: (user, groups) => {
      const known = USERS[user as UserName] as
        { sub: string; groups: readonly string[] } | undefined;
      return options.issuer.token(known?.sub ?? user, {
        groups: [...(groups ?? known?.groups ?? [])],
      });
    },
    close: async () => {
      await app.close();
      if (!options.database) await database.drop();
    },
  };
}
