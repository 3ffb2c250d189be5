import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { AppConfig } from '#config';
import { DomainError } from '#domain';
import { APP_CONFIG, MetricsService } from '#access';
import type { MinuteLimiter } from './minute-limiter.js';
import { minuteLimiter } from './minute-limiter.js';

/** Failed authentications a client address may make per minute when the config says nothing. */
export const DEFAULT_UNAUTHENTICATED_PER_MINUTE = 60;

/** Why a request from an unknown client was refused: the `reason` label of the metric. */
export type AuthFailure =
  | 'missing_token'
  | 'invalid_token'
  | 'invalid_api_key'
  | 'invalid_slack_signature'
  | 'session_missing'
  | 'csrf_invalid';

/** Where a refusal's Retry-After goes (an Express response). */
export interface HeaderTarget {
  setHeader(name: string, value: string): unknown;
}

/** The client's address as the socket gives it (no proxy header is trusted). */
export function clientAddress(request: Pick<Request, 'ip'>): string {
  return request.ip ?? 'unknown';
}

/**
 * Unauthenticated traffic: failed authentications are counted per client address, on
 * every route that authenticates (bearer tokens, API keys, Slack signatures, web sessions and
 * their CSRF tokens), `rateLimit.unauthenticatedPerMinute` of them a minute (0 turns the limit
 * off), shared by all replicas through Redis when there is one (minuteLimiter). An address over that budget is refused `429 rate_limited` with Retry-After before any
 * verification work, valid credential or not: nothing about a request tells a good client from a
 * noisy one before that work is done. Each failure and each refusal is counted in
 * `countersign_unauthenticated_total{reason}`; each failure is logged in one line with its reason
 * and address (this class is never given the credential), and so is the moment an address goes
 * over its budget, not every 429 after it.
 */
@Injectable()
export class UnauthenticatedLimiter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Unauthenticated');
  private readonly budget: number;
  private readonly spending?: MinuteLimiter;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.budget = config.rateLimit.unauthenticatedPerMinute ?? DEFAULT_UNAUTHENTICATED_PER_MINUTE;
    if (this.budget > 0) this.spending = minuteLimiter(config, 'unauthenticated', this.budget);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.spending?.start();
  }

  onApplicationShutdown(): void {
    this.spending?.close();
  }

  /** Refuses a request from an address that has spent its budget, before any other work. */
  async admit(address: string, response: HeaderTarget): Promise<void> {
    if (!this.spending) return;
    const spent = await this.spending.limiter.get(address);
    if (!spent || spent.consumedPoints < this.budget) return;
    const retryAfter = Math.max(1, Math.ceil(spent.msBeforeNext / 1000));
    response.setHeader('Retry-After', String(retryAfter));
    this.metrics.unauthenticated('rate_limited');
    throw new DomainError(
      'rate_limited',
      `too many failed authentications from this address; retry in ${retryAfter}s`,
    );
  }

  /** Counts one failed authentication from `address`, in the metric, the log and its budget. */
  async failed(address: string, reason: AuthFailure): Promise<void> {
    this.metrics.unauthenticated(reason);
    this.logger.warn(`authentication failed (${reason}) from ${address}`);
    if (!this.spending) return;
    const spent = await this.spending.limiter.consume(address).catch((rejection: unknown) => {
      if (rejection instanceof RateLimiterRes) return rejection;
      throw rejection;
    });
    if (spent.consumedPoints === this.budget) {
      this.logger.warn(
        `${address} is over its budget of ${this.budget} failed authentications a minute: ` +
          `refused for ${Math.ceil(spent.msBeforeNext / 1000)}s`,
      );
    }
  }

  /**
   * Runs `verify` for a request unless its address is over budget; an `unauthenticated` refusal
   * from `verify` counts as a failure of kind `reason` and is rethrown.
   */
  async screen<T>(
    request: Pick<Request, 'ip'>,
    response: HeaderTarget,
    reason: AuthFailure,
    verify: () => Promise<T>,
  ): Promise<T> {
    const address = clientAddress(request);
    await this.admit(address, response);
    try {
      return await verify();
    } catch (error) {
      if (error instanceof DomainError && error.code === 'unauthenticated') {
        await this.failed(address, reason);
      }
      throw error;
    }
  }
}
