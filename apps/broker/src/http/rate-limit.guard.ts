import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { AppConfig } from '#config';
import { DomainError } from '#domain';
import { APP_CONFIG } from '#access';
import type { AuthenticatedRequest } from './principal.decorator.js';

/**
 * `rateLimit.perMinute` per principal (docs/configuration.md); 0 is off. Runs after the auth guard,
 * so public routes (no principal) are not counted. (@nestjs/throttler is CommonJS requiring the
 * ESM-only @nestjs/common, which jest on Node 20 cannot load: see docs/ARCHITECTURE.md.)
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiter?: RateLimiterMemory;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const points = config.rateLimit.perMinute;
    if (points > 0) this.limiter = new RateLimiterMemory({ points, duration: 60 });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!this.limiter || !principal) return true;
    try {
      await this.limiter.consume(principal.id);
      return true;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
      throw new DomainError('rate_limited', `rate limit exceeded; retry in ${retryAfter}s`);
    }
  }
}
