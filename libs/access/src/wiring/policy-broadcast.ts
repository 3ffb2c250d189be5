import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import pg from 'pg';
import type { AppConfig } from '#config';
import { UnitOfWork } from '#persistence';
import { PolicyState } from '../policy-state.js';
import { MetricsService } from './metrics.service.js';
import { APP_CONFIG } from './tokens.js';

const CHANNEL = 'countersign_policy';
const HASH = /^[0-9a-f]{16}$/;
const BACKOFF_MS = { first: 250, max: 10_000 };

/**
 * Keeps the replicas on one database enforcing one policy. A process that reloaded its policy
 * (SIGHUP or the admin endpoint) announces the new hash with PostgreSQL NOTIFY; every process
 * LISTENs on a dedicated connection, and one whose policy has another hash re-reads its own config
 * through the handler given to `onPeerChange`. That reload is not announced again, and a process
 * already on the announced hash (the announcer among them) does nothing: no ping-pong.
 * SQLite is one process: nothing to tell. Also reports the hash (metric `countersign_policy_info`).
 */
@Injectable()
export class PolicyBroadcast implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PolicyBroadcast');
  private handler?: () => Promise<void>;
  private client?: pg.Client;
  private retry?: NodeJS.Timeout;
  private backoffMs = BACKOFF_MS.first;
  private closed = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly policy: PolicyState,
    metrics: MetricsService,
  ) {
    metrics.measurePolicyHash(() => policy.hash);
  }

  /** What to do when another replica announces a policy this one does not enforce. */
  onPeerChange(handler: () => Promise<void>): void {
    this.handler = handler;
  }

  /** After a reload this process was asked for: tell the others. A failure is logged, not thrown. */
  async announce(): Promise<void> {
    if (this.config.database.type !== 'postgres') return;
    try {
      await this.uow.dataSource.query('SELECT pg_notify($1, $2)', [CHANNEL, this.policy.hash]);
    } catch (error) {
      this.logger.error(
        `could not tell the other replicas of the new policy: ${messageOf(error)}; reload them by hand`,
      );
    }
  }

  onApplicationBootstrap(): Promise<void> {
    return this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    if (this.config.database.type !== 'postgres' || this.closed) return;
    const client = new pg.Client({
      connectionString: this.config.database.url,
      connectionTimeoutMillis: 5000,
    });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel === CHANNEL) this.received(message.payload);
    });
    // A dropped connection ends the client: listen again on a new one, backing off.
    client.on('error', (error) => this.logger.warn(`policy channel: ${messageOf(error)}`));
    client.on('end', () => {
      if (this.client === client) this.reconnectLater();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.backoffMs = BACKOFF_MS.first;
    } catch (error) {
      this.logger.warn(`cannot listen for policy changes yet: ${messageOf(error)}`);
      this.client = undefined;
      await client.end().catch(() => undefined);
      this.reconnectLater();
    }
  }

  private reconnectLater(): void {
    if (this.closed) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.listen(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MS.max);
  }

  private received(payload: string | undefined): void {
    if (!payload || !HASH.test(payload) || payload === this.policy.hash || !this.handler) return;
    this.logger.log(`another replica enforces policy ${payload}: reloading this one's config`);
    this.handler().then(
      () => {
        if (this.policy.hash !== payload)
          this.logger.warn(
            `policy ${this.policy.hash} here differs from ${payload} announced: the replicas' config files differ`,
          );
      },
      (error: unknown) =>
        this.logger.error(
          `policy reload refused, the policy in force is unchanged: ${messageOf(error)}`,
        ),
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
