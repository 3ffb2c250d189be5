import type {
  CanActivate,
  ExecutionContext,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { AppConfig } from '#config';
import { DomainError } from '#domain';
import { APP_CONFIG } from '#access';
import type { MinuteLimiter } from './minute-limiter.js';
import { minuteLimiter } from './minute-limiter.js';
import type { AuthenticatedRequest } from './principal.decorator.js';

/**
 * `rateLimit.perMinute` per principal (docs/configuration.md), shared by all replicas through Redis
 * when there is one (minuteLimiter); 0 is off. Runs after the auth guard, so public routes (no
 * principal) are not counted. (@nestjs/throttler is CommonJS requiring the
 * ESM-only @nestjs/common, which jest on Node 20 cannot load: see docs/ARCHITECTURE.md.)
 */
@Injectable()
export class RateLimitGuard implements CanActivate, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly budget?: MinuteLimiter;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const points = config.rateLimit.perMinute;
    if (points > 0) this.budget = minuteLimiter(config, 'principal', points);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.budget?.start();
  }

  onApplicationShutdown(): void {
    this.budget?.close();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!this.budget || !principal) return true;
    try {
      await this.budget.limiter.consume(principal.id);
      return true;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
      throw new DomainError('rate_limited', `rate limit exceeded; retry in ${retryAfter}s`);
    }
  }
}
