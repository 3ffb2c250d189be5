import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ProviderDefinition } from '#domain';
import type { GrantRow } from '#persistence';
import type {
  CredentialProvider,
  ExtendedAccess,
  IssuedCredential,
  LiveAccess,
} from './credential-provider.js';
import { ProviderError } from './credential-provider.js';
import { FailFast } from './fail-fast.js';
import { redisUserName, redisUserOf } from './redis-user-name.js';

export type RedisSettings = Extract<ProviderDefinition, { type: 'redis' }>;

/**
 * One Redis ACL user per grant (docs/providers.md#redis): a random password, the role's rules and
 * nothing else. Revocation deletes the user, which also ends its connections. Redis is sent only
 * the password's SHA-256 (`#<hex>`), never the password.
 */
export class RedisProvider implements CredentialProvider {
  readonly type = 'redis';
  private readonly redis: Redis;
  /** Where the broker connects, for error messages (never the URL: it may hold a password). */
  private readonly target: string;
  /** What the recipient is told: the server and the user, no password. */
  private readonly recipientUrl: (user: string) => string;
  private readonly rules: string[];
  private readonly unreachable = new FailFast();
  /** The code of the last connection error since the connection was last ready. */
  private connectionFailure?: string;

  constructor(private readonly settings: RedisSettings) {
    const url = new URL(settings.url);
    const port = url.port || '6379';
    this.target = `${url.hostname}:${port}`;
    const database = /^\/\d+$/.test(url.pathname) ? url.pathname : '';
    this.recipientUrl = (user) =>
      `${url.protocol}//${encodeURIComponent(user)}@${url.hostname}:${port}${database}`;
    this.rules = settings.rules.split(' ');
    this.redis = new Redis(settings.url, {
      connectTimeout: 5000,
      commandTimeout: 10_000,
      // A command waits for one reconnection at most, then fails: the caller retries later.
      maxRetriesPerRequest: 1,
      connectionName: 'countersign',
      // The ready check runs INFO: one permission fewer for the broker's account (docs/providers.md).
      enableReadyCheck: false,
    });
    // A command that fails for want of a connection says only that: the socket's error says why.
    this.redis.on('error', (error) => (this.connectionFailure = codeOf(error)));
    this.redis.on('ready', () => (this.connectionFailure = undefined));
  }

  async grant(grant: GrantRow): Promise<IssuedCredential> {
    const user = redisUserName(this.settings.userPrefix, grant.id, grant.issuedAt);
    const password = randomBytes(24).toString('base64url');
    const hash = createHash('sha256').update(password).digest('hex');
    // `reset` first: granting the grant id again leaves the same user with the new password only.
    await this.run('grant', () =>
      this.redis.call('ACL', 'SETUSER', user, 'reset', 'on', `#${hash}`, ...this.rules),
    );
    return {
      credential: { type: 'redis', url: this.recipientUrl(user), user, password },
    };
  }

  /** Redis users have no end of their own: an extension only checks that the user is still there. */
  async extend(grant: GrantRow): Promise<ExtendedAccess> {
    const user = redisUserName(this.settings.userPrefix, grant.id, grant.issuedAt);
    this.unreachable.check();
    const found = await this.run('extend', () => this.redis.call('ACL', 'GETUSER', user));
    if (found === null) throw new ProviderError(`redis ${this.target}: extend found no ACL user`);
    return {};
  }

  async revoke(grant: GrantRow): Promise<void> {
    await this.deleteUser(redisUserName(this.settings.userPrefix, grant.id, grant.issuedAt));
  }

  /** ACL users of this provider's naming scheme, whoever's grant they were made for. */
  async listLive(): Promise<LiveAccess[]> {
    const users = (await this.run('list ACL users', () =>
      this.redis.call('ACL', 'USERS'),
    )) as string[];
    return users.flatMap((user) => {
      const named = redisUserOf(this.settings.userPrefix, user);
      if (named === undefined) return [];
      return [{ ...named, remove: () => this.deleteUser(user) }];
    });
  }

  close(): Promise<void> {
    // Not QUIT: that would wait for a server that may be gone.
    this.redis.disconnect();
    return Promise.resolve();
  }

  /**
   * Connections first, then the user; `ACL DELUSER` also ends any connection opened in between.
   * Both idempotent, so a retry after any failure finishes the job.
   */
  private async deleteUser(user: string): Promise<void> {
    this.unreachable.check();
    await this.run('revoke', async () => {
      try {
        await this.redis.call('CLIENT', 'KILL', 'USER', user);
      } catch (error) {
        // Already deleted (by an earlier attempt or another replica): nothing left to end.
        if (!/no such user/i.test(messageOf(error))) throw error;
      }
      await this.redis.call('ACL', 'DELUSER', user);
    });
  }

  /**
   * Runs `work` on the broker's connection. Any failure becomes a ProviderError naming the step,
   * the target and the reply's error code only: a reply or an error may quote the command.
   */
  private async run<T>(step: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (this.redis.status !== 'ready') {
        const failure = `redis ${this.target} unreachable (${this.connectionFailure ?? codeOf(error)})`;
        this.unreachable.trip(failure);
        throw new ProviderError(failure);
      }
      throw new ProviderError(`redis ${this.target}: ${step} failed (${codeOf(error)})`);
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : '';
}

/** The reply's error code (`NOPERM`, `ERR`) or the socket's (`ECONNREFUSED`), nothing else. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{1,32}$/.test(code)) return code;
  const word = /^([A-Z]{2,16})\b/.exec(messageOf(error));
  if (word) return word[1];
  return /timeout|timed out/i.test(messageOf(error)) ? 'timeout' : 'error';
}
